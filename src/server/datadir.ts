/**
 * The start-up check of a data directory: state.json, models/ and rounds.jsonl must tell the
 * same story before the server serves a model or hands out a round id. Any disagreement refuses
 * to start with a DataDirError naming the file and the fix — never a silent new federation over
 * finished versions, never a reused round id:
 *
 *   state.json missing, models/ or rounds.jsonl present        STATE_MISSING
 *   state.json unreadable, or its checksum does not match       STATE_CORRUPT
 *   a version directory newer than state.json's version        STATE_BEHIND
 *   a round in the log newer than state.json's last round id    STATE_BEHIND
 *   a version in the log newer than state.json's version        STATE_BEHIND
 *   state.json's version has no directory                        STATE_AHEAD
 *   a log line unreadable or failing its checksum (torn tail)   LOG_UNREADABLE
 *   the log missing although rounds ran                          LOG_MISSING
 *   a round id twice in the log                                  ROUND_REUSED
 *
 * The fix, where there is one: `--recover` (recover.ts) rebuilds state.json from the newest
 * loadable checkpoint and the log, setting aside (never deleting) what it cannot use.
 */
import { join } from 'node:path';
import { DataDirError } from './datadir-error.js';
import { type FederationState, LOG_FILE, type LogRead, STATE_FILE, type StateRead } from './store.js';

export const RECOVER_HINT =
  'start the server once with --recover to rebuild it from the newest loadable checkpoint and the round log ' +
  '(what cannot be used is set aside, never deleted), or point --data-dir at another directory';

export interface DataDirView {
  dir: string;
  state: StateRead;
  /** Version directories in models/, ascending. */
  versions: number[];
  log: LogRead;
}

/** A fresh directory (nothing in it yet), or the state every file agrees with. */
export type Verdict = { kind: 'fresh' } | { kind: 'resume'; state: FederationState };

export function checkDataDir(v: DataDirView): Verdict {
  const statePath = join(v.dir, STATE_FILE);
  const logPath = join(v.dir, LOG_FILE);
  const newest = v.versions.length ? (v.versions[v.versions.length - 1] as number) : undefined;
  if (v.state.kind === 'missing') {
    if (newest === undefined && v.log.missing) return { kind: 'fresh' };
    const found = [
      ...(newest !== undefined ? [`models/ holds v${v.versions[0]}…v${newest}`] : []),
      ...(!v.log.missing ? [`${LOG_FILE} holds ${v.log.lines.length} lines`] : []),
    ].join(' and ');
    throw new DataDirError(
      'STATE_MISSING',
      `${statePath} is missing but ${found}: starting a new federation here would overwrite finished versions; ${RECOVER_HINT}`,
    );
  }
  if (v.state.kind === 'bad')
    throw new DataDirError('STATE_CORRUPT', `${statePath} cannot be used: ${v.state.why}; ${RECOVER_HINT}`);
  const s = v.state.state;
  const bad = v.log.bad[0];
  if (bad) {
    const torn = v.log.tornTail && bad.line === v.log.lines.length ? ' (its last line, cut short)' : '';
    throw new DataDirError(
      'LOG_UNREADABLE',
      `${logPath} line ${bad.line}${torn} cannot be used: ${bad.why}` +
        (v.log.bad.length > 1 ? ` (and ${v.log.bad.length - 1} more lines)` : '') +
        `; ${RECOVER_HINT}`,
    );
  }
  if (v.log.missing && s.lastStartedRound > 0)
    throw new DataDirError(
      'LOG_MISSING',
      `${logPath} is missing but ${statePath} says rounds 1–${s.lastStartedRound} were started: restore it from a backup, or ${RECOVER_HINT}`,
    );
  const seen = new Set<number>();
  for (const r of v.log.records) {
    if (seen.has(r.round))
      throw new DataDirError('ROUND_REUSED', `${logPath} records round ${r.round} twice; ${RECOVER_HINT}`);
    seen.add(r.round);
  }
  const lastLogged = Math.max(0, ...v.log.records.map((r) => r.round));
  const lastVersion = Math.max(0, ...v.log.records.map((r) => r.versionAfter));
  if (newest !== undefined && newest > s.version)
    throw new DataDirError(
      'STATE_BEHIND',
      `${join(v.dir, 'models', `v${newest}`)} exists but ${statePath} says version ${s.version}: the state does not know that version, and the next round would write over it; ${RECOVER_HINT}`,
    );
  if (lastLogged > s.lastStartedRound)
    throw new DataDirError(
      'STATE_BEHIND',
      `${logPath} records round ${lastLogged} but ${statePath} says the last round started was ${s.lastStartedRound}: round ids would be reused; ${RECOVER_HINT}`,
    );
  if (lastVersion > s.version)
    throw new DataDirError(
      'STATE_BEHIND',
      `${logPath} records version ${lastVersion} but ${statePath} says version ${s.version}; ${RECOVER_HINT}`,
    );
  if (!v.versions.includes(s.version))
    throw new DataDirError(
      'STATE_AHEAD',
      `${statePath} says version ${s.version} but ${join(v.dir, 'models', `v${s.version}`)} does not exist; ${RECOVER_HINT}`,
    );
  return { kind: 'resume', state: s };
}
