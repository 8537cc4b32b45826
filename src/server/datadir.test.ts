/**
 * The data-directory table of issue 14: every way state.json, models/ and rounds.jsonl can
 * disagree is refused at start with its code and a message naming the file and the fix, and
 * `--recover` takes the newest loadable version without overwriting any. A real federation
 * directory is built with the product's own writers (Store), then damaged the way an operator,
 * a crash or a full disk would.
 */
import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../ml/checkpoint-node.js';
import { resolveConfig } from './config.js';
import { checksum } from './durable.js';
import { Ledger } from './ledger.js';
import { createLogger } from './log.js';
import { initialModel, toCheckpoint } from './model.js';
import { type RoundRecord, Store } from './store.js';

const HIDDEN = [4];
let dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

function ledger(dataDir: string, recover = false): Ledger {
  return new Ledger(resolveConfig({ dataDir, open: true, hidden: HIDDEN, recover }), createLogger('silent'));
}

function record(round: number, versionBefore: number, versionAfter: number): RoundRecord {
  const now = new Date().toISOString();
  return {
    round,
    outcome: versionAfter > versionBefore ? 'ok' : 'failed',
    versionBefore,
    versionAfter,
    trainers: [],
    survivors: [],
    members: [],
    membersAnswered: [],
    tRec: 3,
    timings: {},
    bytesIn: 0,
    bytesOut: 0,
    startedAt: now,
    endedAt: now,
  };
}

/** A federation that finished versions 1–3 in rounds 1–3 (weights differ per version). */
async function federationDir(): Promise<{ dir: string; store: Store; weights: Float32Array[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'speakonce-datadir-'));
  dirs.push(dir);
  const l = ledger(dir);
  await l.open();
  const weights = [l.model.weights.slice()];
  for (let v = 1; v <= 3; v++) {
    await l.nextRound();
    const w = l.model.weights.map((x) => x + v);
    expect(await l.commitVersion({ ...l.model, weights: w }, { round: v })).toBe(v);
    await l.appendRound(record(v, v - 1, v));
    weights.push(w);
  }
  return { dir, store: new Store(dir), weights };
}

async function refused(dir: string): Promise<{ code: string; message: string }> {
  const e = (await ledger(dir)
    .open()
    .then(() => undefined)
    .catch((err: unknown) => err)) as { code?: string; message?: string } | undefined;
  expect(e, 'the start is refused').toBeDefined();
  return { code: e?.code ?? '', message: e?.message ?? '' };
}

async function stateJson(dir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as Record<string, unknown>;
}

/** Rewrites state.json with a valid checksum (an operator who knows the format). */
async function rewriteState(dir: string, change: Record<string, unknown>): Promise<void> {
  const { sum: _sum, ...s } = await stateJson(dir);
  const next = { ...s, ...change };
  await writeFile(join(dir, 'state.json'), JSON.stringify({ ...next, sum: checksum(next) }));
}

/** Every version directory's weights, by name (to show none was overwritten). */
async function allWeights(dir: string): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const n of (await readdir(join(dir, 'models'))).filter((x) => /^v\d+$/.test(x)))
    out.set(n, (await loadCheckpoint(join(dir, 'models', n))).weights);
  return out;
}

describe('the data directory at start: refused when its files disagree', () => {
  it('a good directory resumes at its version; the round log lines and state.json carry checksums', async () => {
    const { dir, weights } = await federationDir();
    const l = ledger(dir);
    await l.open();
    expect([l.version, l.lastStartedRound]).toEqual([3, 3]);
    expect(l.model.weights).toEqual(weights[3]);
    expect(typeof (await stateJson(dir)).sum).toBe('string');
    const lines = (await readFile(join(dir, 'rounds.jsonl'), 'utf8')).trim().split('\n');
    for (const line of lines) expect(typeof (JSON.parse(line) as { sum?: unknown }).sum).toBe('string');
  });

  it('records of an earlier version (no checksum) are read as they are, still checked against each other; state.json is sealed at its next write', async () => {
    const { dir } = await federationDir();
    const strip = (line: string) => {
      const { sum: _sum, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return JSON.stringify(rest);
    };
    const log = (await readFile(join(dir, 'rounds.jsonl'), 'utf8')).trim().split('\n');
    await writeFile(join(dir, 'rounds.jsonl'), log.map((l) => `${strip(l)}\n`).join(''));
    await writeFile(join(dir, 'state.json'), strip(await readFile(join(dir, 'state.json'), 'utf8')));
    const l = ledger(dir);
    await l.open();
    expect([l.version, l.lastStartedRound]).toEqual([3, 3]);
    await l.nextRound();
    expect(typeof (await stateJson(dir)).sum).toBe('string');
    // unsealed, and behind: still refused
    await writeFile(join(dir, 'state.json'), strip(JSON.stringify({ ...(await stateJson(dir)), version: 2 })));
    expect((await refused(dir)).code).toBe('STATE_BEHIND');
  });

  it('state.json missing: STATE_MISSING (not a new federation over v0–v3); --recover takes v3 and the next id', async () => {
    const { dir, weights } = await federationDir();
    const before = await allWeights(dir);
    await rm(join(dir, 'state.json'));
    const e = await refused(dir);
    expect(e.code).toBe('STATE_MISSING');
    expect(e.message).toContain(join(dir, 'state.json'));
    expect(e.message).toContain('--recover');
    expect(await allWeights(dir)).toEqual(before); // nothing was written over
    const l = ledger(dir, true);
    await l.open();
    expect(l.version).toBe(3);
    expect(l.model.weights).toEqual(weights[3]);
    expect(l.lastStartedRound).toBe(4); // one past the newest any file knows, recorded as RECOVERED
    const rounds = await new Store(dir).readRounds();
    expect(rounds.map((r) => [r.round, r.code ?? r.outcome])).toEqual([
      [1, 'ok'],
      [2, 'ok'],
      [3, 'ok'],
      [4, 'RECOVERED'],
    ]);
    expect(await l.nextRound()).toBe(5);
    expect(await l.commitVersion({ ...l.model, weights: l.model.weights.map((x) => x * 2) }, {})).toBe(4);
    const after = await allWeights(dir);
    for (const [name, w] of before) expect(after.get(name), `${name} untouched`).toEqual(w);
    await ledger(dir).open(); // and the repaired directory starts without --recover
  });

  it('state.json behind (version set back, checksum redone): STATE_BEHIND naming models/v3', async () => {
    const { dir } = await federationDir();
    await rewriteState(dir, { version: 1 });
    const e = await refused(dir);
    expect(e.code).toBe('STATE_BEHIND');
    expect(e.message).toContain(join(dir, 'models', 'v3'));
  });

  it('round ids behind (lastStartedRound set back): STATE_BEHIND, round ids would be reused', async () => {
    const { dir } = await federationDir();
    await rewriteState(dir, { lastStartedRound: 2 });
    const e = await refused(dir);
    expect(e.code).toBe('STATE_BEHIND');
    expect(e.message).toMatch(/rounds\.jsonl records round 3.*reused/);
  });

  it('state.json ahead (a version with no directory): STATE_AHEAD', async () => {
    const { dir } = await federationDir();
    await rewriteState(dir, { version: 5, lastStartedRound: 5 });
    const e = await refused(dir);
    expect(e.code).toBe('STATE_AHEAD');
    expect(e.message).toContain(join(dir, 'models', 'v5'));
  });

  it('state.json edited without its checksum: STATE_CORRUPT; --recover rebuilds it', async () => {
    const { dir, weights } = await federationDir();
    const s = await stateJson(dir);
    await writeFile(join(dir, 'state.json'), JSON.stringify({ ...s, version: 1 }));
    const e = await refused(dir);
    expect(e.code).toBe('STATE_CORRUPT');
    expect(e.message).toMatch(/state\.json cannot be used: its checksum does not match/);
    const l = ledger(dir, true);
    await l.open();
    expect(l.version).toBe(3);
    expect(l.model.weights).toEqual(weights[3]);
    expect(l.federation).toBe(s.federation);
  });

  it('the round log torn (last line cut short): LOG_UNREADABLE naming the line; --recover sets it aside in a file', async () => {
    const { dir } = await federationDir();
    const torn = '{"round":4,"outcome":"ok","versionBe';
    await appendFile(join(dir, 'rounds.jsonl'), torn);
    const e = await refused(dir);
    expect(e.code).toBe('LOG_UNREADABLE');
    expect(e.message).toContain(`${join(dir, 'rounds.jsonl')} line 4 (its last line, cut short)`);
    const l = ledger(dir, true);
    await l.open();
    const aside = (await readdir(dir)).filter((n) => n.startsWith('rounds.jsonl.set-aside-'));
    expect(aside).toHaveLength(1);
    expect(await readFile(join(dir, aside[0]!), 'utf8')).toBe(`${torn}\n`);
    const rounds = await new Store(dir).readLog();
    expect(rounds.bad).toEqual([]);
    expect(rounds.records.map((r) => r.round)).toEqual([1, 2, 3, 4]);
    expect(l.version).toBe(3);
  });

  it('a log line edited: LOG_UNREADABLE (its checksum does not match)', async () => {
    const { dir } = await federationDir();
    const text = await readFile(join(dir, 'rounds.jsonl'), 'utf8');
    await writeFile(join(dir, 'rounds.jsonl'), text.replace('"round":2,', '"round":7,'));
    const e = await refused(dir);
    expect(e.code).toBe('LOG_UNREADABLE');
    expect(e.message).toMatch(/line 2 cannot be used: its checksum does not match/);
  });

  it('a round id twice in the log: ROUND_REUSED', async () => {
    const { dir, store } = await federationDir();
    await store.appendRound(record(3, 3, 3));
    const e = await refused(dir);
    expect(e.code).toBe('ROUND_REUSED');
    expect(e.message).toContain('round 3 twice');
  });

  it('the round log missing: LOG_MISSING (no finished round relabelled as interrupted); --recover starts a new log', async () => {
    const { dir } = await federationDir();
    await rm(join(dir, 'rounds.jsonl'));
    const e = await refused(dir);
    expect(e.code).toBe('LOG_MISSING');
    expect(e.message).toContain(join(dir, 'rounds.jsonl'));
    const l = ledger(dir, true);
    await l.open();
    expect(l.interrupted).toBeUndefined();
    const rounds = await new Store(dir).readRounds();
    expect(rounds.map((r) => [r.round, r.code])).toEqual([[4, 'RECOVERED']]);
  });

  it('a version directory the state does not know: STATE_BEHIND; --recover takes it when it loads, sets it aside when not', async () => {
    const { dir, store, weights } = await federationDir();
    const w4 = weights[3]!.map((x) => x - 7);
    await store.saveModel(4, toCheckpoint({ ...initialModel(HIDDEN, 1), weights: w4 }, { version: 4 }));
    const e = await refused(dir);
    expect(e.code).toBe('STATE_BEHIND');
    expect(e.message).toContain(join(dir, 'models', 'v4'));
    const l = ledger(dir, true);
    await l.open();
    expect(l.version).toBe(4);
    expect(l.model.weights).toEqual(w4);

    // an unloadable newer directory (cut short) is renamed aside, never deleted; v4 stays current
    await store.saveModel(5, toCheckpoint({ ...initialModel(HIDDEN, 1), weights: w4 }, { version: 5 }));
    await writeFile(join(dir, 'models', 'v5', 'weights.bin'), new Uint8Array(3));
    expect((await refused(dir)).code).toBe('STATE_BEHIND');
    const l2 = ledger(dir, true);
    await l2.open();
    expect(l2.version).toBe(4);
    const names = await readdir(join(dir, 'models'));
    expect(names.filter((n) => n.startsWith('v5.unloadable-'))).toHaveLength(1);
    expect(names).not.toContain('v5');
  });

  it('a version directory is never overwritten: saving an existing version is refused (VERSION_EXISTS)', async () => {
    const { dir, store, weights } = await federationDir();
    const other = toCheckpoint({ ...initialModel(HIDDEN, 1), weights: weights[0]! }, {});
    await expect(store.saveModel(2, other)).rejects.toMatchObject({ code: 'VERSION_EXISTS' });
    expect((await loadCheckpoint(join(dir, 'models', 'v2'))).weights).toEqual(weights[2]);
    expect((await readdir(join(dir, 'models'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
