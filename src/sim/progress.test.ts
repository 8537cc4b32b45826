/**
 * A server that says when it cannot make progress (issue 14, points 4 and 7), over real sockets:
 * a round start that fails (a read-only data directory, on a tmpfs where the tests run as root)
 * is retried with backoff and announced, /healthz answers 503 with the reason until a round
 * starts again; a round a crash interrupted is announced after the restart to observers and to
 * the participants that took part; the server's routes and the static app answer 405 to other
 * methods than GET and HEAD.
 */
import { encode } from '@msgpack/msgpack';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { type Server, createServer, get, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createIdentity } from '../secagg/index.js';
import { resolveConfig } from '../server/config.js';
import { Ledger } from '../server/ledger.js';
import { createLogger } from '../server/log.js';
import { participantId } from '../server/federation.js';
import { initialModel } from '../server/model.js';
import { staticApp } from '../server/static.js';
import type { FederationEvent } from '../wire/events.js';
import { type TestServer, startTestServer } from '../../test/support/federation.js';
import { type KitParticipant, RawClient, kitParticipant } from '../../test/support/participants.js';
import { TMPFS_SKIP_REASON, type Tmpfs, checkpointPages, fill, mountTmpfs } from '../../test/support/tmpfs.js';

let server: TestServer | undefined;
let parts: KitParticipant[] = [];
let raws: RawClient[] = [];
let mounts: Tmpfs[] = [];
let dirs: string[] = [];
let plain: Server[] = [];
afterEach(async () => {
  for (const p of parts) p.engine.stop();
  parts = [];
  for (const r of raws) r.ws.terminate();
  raws = [];
  await server?.stop();
  server = undefined;
  for (const s of plain) await new Promise((r) => s.close(r));
  plain = [];
  for (const m of mounts) m.unmount();
  mounts = [];
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

function fetchStatus(url: string, method = 'GET'): Promise<{ status: number; body: string; allow?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body, ...(res.headers.allow ? { allow: res.headers.allow } : {}) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const SETTINGS = { committee: { m: 3, tRec: 3, rho: 2 }, minTrainers: 3, submitMs: 60_000, committeeMs: 60_000 };

describe.skipIf(TMPFS_SKIP_REASON !== undefined)('round starts that fail (tmpfs)', () => {
  it('a read-only data directory after start: starts retried with backoff and announced, /healthz 503 with the reason, then rounds resume', async () => {
    const fs = mountTmpfs('8m');
    mounts.push(fs);
    server = await startTestServer({ ...SETTINGS, dataDir: fs.dir, firstRoundParticipants: 6, rounds: 1 });
    const s = server;
    const health = `http://127.0.0.1:${s.server.port}/healthz`;
    expect((await fetchStatus(health)).status).toBe(200);
    fs.remount('ro');
    const opts = { url: s.wsUrl, token: s.token };
    parts = [
      ...[1, 2, 3].map((i) => kitParticipant({ ...opts, label: `T${i}`, train: true, committee: false, seed: i })),
      ...[1, 2, 3].map((i) => kitParticipant({ ...opts, label: `M${i}`, train: false, committee: true })),
    ];
    const retried = await s.events.waitFor(
      (e) => e.type === 'waiting' && e.reason.includes('(attempt 2;'),
      30_000,
      'a second failed start',
    );
    expect(retried.type === 'waiting' && retried.reason).toMatch(
      /^a round cannot start: .*EROFS.*trying again in 1000 ms/,
    );
    const sick = await fetchStatus(health);
    expect(sick.status).toBe(503);
    expect(JSON.parse(sick.body)).toMatchObject({ ok: false, reason: expect.stringContaining('EROFS') as string });
    fs.remount('rw');
    const done = await s.events.waitFor((e) => e.type === 'round_done', 30_000, 'a round after the fix');
    expect(done.type === 'round_done' && done.version).toBe(1);
    expect((await fetchStatus(health)).status).toBe(200);
  });
});

describe.skipIf(TMPFS_SKIP_REASON !== undefined)('a full disk during a round (tmpfs)', () => {
  it('disk full at the state write of a finished round: APPLY_FAILED, the served model and state.json stay on v0; the next round makes v1', async () => {
    const fs = mountTmpfs('8m');
    mounts.push(fs);
    // transcriptKeep 0: the round's kept masked vectors would take the room measured below for the checkpoint
    server = await startTestServer({
      ...SETTINGS,
      dataDir: fs.dir,
      firstRoundParticipants: 6,
      rounds: 2,
      transcriptKeep: 0,
    });
    const s = server;
    const modelUrl = `http://127.0.0.1:${s.server.port}/model/model.json`;
    const served0 = (await fetchStatus(modelUrl)).body;
    const opts = { url: s.wsUrl, token: s.token };
    const trainers = [1, 2, 3].map((i) =>
      kitParticipant({ ...opts, label: `T${i}`, train: true, committee: false, seed: i }),
    );
    parts = [
      ...trainers,
      ...[1, 2, 3].map((i) => kitParticipant({ ...opts, label: `M${i}`, train: false, committee: true })),
    ];
    const gate = trainers[0]!.trainer!.hold(1);
    await s.events.waitFor((e) => e.type === 'round_started' && e.round === 1, 30_000, 'round 1');
    // room for the new checkpoint exactly: it is written, the state's temporary file is not
    const meta = { federation: s.fed.federationId, version: 1, round: 1, survivors: 3, weightSum: 300 };
    const pages = await checkpointPages({ ...initialModel(s.config.hidden, s.config.seed) }, meta);
    const filler = await fill(fs.dir);
    for (const f of filler.slice(0, pages)) await rm(f);
    gate.open();
    const failed = await s.events.waitFor((e) => e.type === 'round_failed' && e.round === 1, 30_000, 'round 1 fails');
    expect(failed).toMatchObject({ code: 'APPLY_FAILED', version: 0 });
    expect(failed.type === 'round_failed' && failed.reason).toContain('ENOSPC');
    const told = await trainers[1]!.events.waitFor((e) => e.type === 'result' && e.round === 1, 10_000, 'T2 told');
    expect(told.type === 'result' && [told.ok, told.version]).toEqual([false, 0]);
    expect(s.fed.version).toBe(0);
    expect((await fetchStatus(modelUrl)).body).toBe(served0);
    const state = JSON.parse(await readFile(join(fs.dir, 'state.json'), 'utf8')) as { version: number };
    expect(state.version).toBe(0);
    expect((await readdir(join(fs.dir, 'models'))).filter((n) => /^v\d+$/.test(n))).toEqual(['v0']);
    // the checkpoint was written (the state write is what failed) and is set aside, not served
    expect((await readdir(join(fs.dir, 'models'))).filter((n) => n.startsWith('v1.unused-'))).toHaveLength(1);

    for (const f of filler.slice(pages)) await rm(f);
    const done = await s.events.waitFor((e) => e.type === 'round_done', 30_000, 'a round after space is freed');
    expect(done.type === 'round_done' && [done.round, done.version]).toEqual([2, 1]);
    expect((await fetchStatus(modelUrl)).body).not.toBe(served0);
  });
});

describe('after a restart, and the methods allowed', () => {
  it('a round interrupted by a crash is announced to observers (round_failed INTERRUPTED) and to its participants when they join again', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'speakonce-interrupted-'));
    dirs.push(dataDir);
    const me = createIdentity(new Uint8Array(32).fill(42));
    const other = createIdentity(new Uint8Array(32).fill(43));
    // the crashed server: round 1 started with `me` in it, then nothing (no clean shutdown)
    const before = new Ledger(resolveConfig({ dataDir, open: true }), createLogger('silent'));
    await before.open();
    expect(await before.nextRound([participantId(me.publicKey), 'someone-else'])).toBe(1);

    server = await startTestServer({ dataDir });
    // announced at start, before any observer: an observer that connects later has it in its replay
    const replayed = await new Promise<FederationEvent>((resolve, reject) => {
      get(`http://127.0.0.1:${server!.server.port}/events`, (res) => {
        let buf = '';
        res.on('data', (d: Buffer) => {
          buf += d.toString();
          const line = buf.split('\n').find((l) => l.startsWith('data: ') && l.includes('"round_failed"'));
          if (line) {
            resolve(JSON.parse(line.slice(6)) as FederationEvent);
            res.destroy();
          }
        });
      }).on('error', reject);
    });
    expect(replayed).toMatchObject({ type: 'round_failed', round: 1, version: 0, code: 'INTERRUPTED' });

    const joinAs = async (who: typeof me) => {
      const c = await RawClient.open(server!.wsUrl);
      raws.push(c);
      c.send(encode(await c.joinMessage(who, { token: server!.token, train: true, committee: false })));
      expect(await c.inbox.next(10_000, 'welcome')).toMatchObject({ t: 'welcome' });
      return c;
    };
    const mine = await joinAs(me);
    expect(await mine.inbox.next(10_000, 'the result of round 1')).toMatchObject({
      t: 'result',
      round: 1,
      ok: false,
      code: 'INTERRUPTED',
      version: 0,
    });
    const theirs = await joinAs(other); // not in round 1: told nothing
    await new Promise((r) => setTimeout(r, 100));
    expect(theirs.replies.events.filter((m) => m.t === 'result')).toEqual([]);
  });

  it('the server routes and the static app answer 405 to POST, PUT and DELETE (GET and HEAD are served)', async () => {
    server = await startTestServer();
    const base = `http://127.0.0.1:${server.server.port}`;
    for (const m of ['POST', 'PUT', 'DELETE'])
      expect(await fetchStatus(`${base}/status`, m)).toMatchObject({ status: 405, allow: 'GET, HEAD' });

    const dist = await mkdtemp(join(tmpdir(), 'speakonce-dist-'));
    dirs.push(dist);
    await mkdir(join(dist, 'assets'));
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>app</title>');
    const app = staticApp(dist)!;
    const s = createServer((req, res) => {
      void app(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    plain.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/index.html`;
    for (const m of ['POST', 'PUT', 'DELETE']) expect(await fetchStatus(url, m)).toMatchObject({ status: 405 });
    expect((await fetchStatus(url, 'GET')).status).toBe(200);
    expect((await fetchStatus(url, 'HEAD')).status).toBe(200);
  });
});
