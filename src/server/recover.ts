/**
 * `--recover`: rebuilds state.json from what the data directory still holds, when the start-up
 * check (datadir.ts) refused it. Nothing is deleted and no version is overwritten:
 *
 *   - the newest version directory whose checkpoint loads becomes current; newer ones that do
 *     not load are renamed `v<N>.unloadable-<time>`;
 *   - log lines that cannot be used (a torn tail, a failed checksum, a round id seen before) are
 *     moved to `rounds.jsonl.set-aside-<time>`, and the log is rewritten without them;
 *   - the last round id becomes one past the newest any file knows (a round that started but
 *     left no trace cannot reuse its id), and that id is recorded in the log as a `RECOVERED`
 *     round, so the log and the state agree again;
 *   - the federation id comes from state.json where it is readable, else from the checkpoint.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataDirError } from './datadir-error.js';
import { replaceDurable, writeDurable } from './durable.js';
import type { Logger } from './log.js';
import { type FederationState, LOG_FILE, STATE_FILE, type Store, emptyRoundRecord } from './store.js';

const stamp = (): string => new Date().toISOString().replace(/[:.]/g, '-');

/** What state.json said, checksum or not (it may be the reason for the recovery). */
async function looseState(store: Store): Promise<Partial<FederationState>> {
  try {
    const raw = JSON.parse(await readFile(store.statePath, 'utf8')) as Record<string, unknown>;
    return {
      ...(typeof raw.federation === 'string' ? { federation: raw.federation } : {}),
      ...(typeof raw.createdAt === 'string' ? { createdAt: raw.createdAt } : {}),
      ...(Number.isSafeInteger(raw.lastStartedRound) ? { lastStartedRound: raw.lastStartedRound as number } : {}),
    };
  } catch {
    return {};
  }
}

export interface Recovery {
  version: number;
  lastStartedRound: number;
  setAsideVersions: string[];
  setAsideLines: number;
  setAsideFile: string | undefined;
}

/** Rebuilds the state; undefined where the directory holds no federation at all (a fresh start). */
export async function recover(store: Store, log: Logger): Promise<Recovery | undefined> {
  const versions = await store.versionsOnDisk();
  const logRead = await store.readLog();
  const loose = await looseState(store);
  if (!versions.length && logRead.missing && loose.federation === undefined) return undefined;

  // 1. the newest loadable version
  const setAsideVersions: string[] = [];
  let version: number | undefined;
  let federation = loose.federation;
  for (const v of [...versions].reverse()) {
    try {
      const ckpt = await store.loadModel(v);
      version = v;
      const meta = ckpt.manifest.meta as Record<string, unknown> | undefined;
      if (federation === undefined && typeof meta?.federation === 'string') federation = meta.federation;
      break;
    } catch (e) {
      const to = await store.setAsideModel(v, 'unloadable');
      setAsideVersions.push(to);
      log.warn('recover_version_set_aside', { version: v, to, error: e instanceof Error ? e.message : String(e) });
    }
  }
  if (version === undefined || federation === undefined)
    throw new DataDirError(
      'NOTHING_TO_RECOVER',
      `${join(store.dir, 'models')} holds no loadable version with its federation id: nothing to rebuild the state from; restore the data directory from a backup`,
    );

  // 2. the log without the lines that cannot be used
  const keep: string[] = [];
  const aside: string[] = [];
  const seen = new Set<number>();
  const badLines = new Set(logRead.bad.map((b) => b.line));
  let recordIndex = 0;
  logRead.lines.forEach((text, i) => {
    if (!text.trim()) return;
    if (badLines.has(i + 1)) return void aside.push(text);
    const r = logRead.records[recordIndex++];
    if (r && seen.has(r.round)) return void aside.push(text);
    if (r) seen.add(r.round);
    keep.push(text);
  });
  let setAsideFile: string | undefined;
  if (aside.length) {
    setAsideFile = join(store.dir, `${LOG_FILE}.set-aside-${stamp()}`);
    await writeDurable(setAsideFile, `${aside.join('\n')}\n`, 'wx');
    await replaceDurable(store.logPath, keep.map((l) => `${l}\n`).join(''));
  }

  // 3. a round id no file has seen, recorded as the recovery
  const lastKnown = Math.max(0, loose.lastStartedRound ?? 0, ...seen);
  const round = lastKnown + 1;
  const state: FederationState = {
    federation,
    version,
    lastStartedRound: round,
    createdAt: loose.createdAt ?? new Date().toISOString(),
  };
  const reason = `${STATE_FILE} rebuilt by --recover from models/v${version} and ${LOG_FILE}`;
  await store.appendRound(emptyRoundRecord(round, 'RECOVERED', reason, version), federation);
  await store.writeState(state);
  const result = { version, lastStartedRound: round, setAsideVersions, setAsideLines: aside.length, setAsideFile };
  log.warn('recovered', { dataDir: store.dir, federation, ...result });
  return result;
}
