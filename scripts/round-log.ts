/**
 * The `GET /rounds.json` route of `npm start` / `npm run demo`: the data directory's round log
 * (src/server/store.ts) in the compact form of src/wire/round-log.ts, for the dashboard.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type RoundRecord, Store } from '../src/server/store.js';
import type { LoggedRound } from '../src/wire/round-log.js';

export function toLogged(r: RoundRecord): LoggedRound {
  const m = r.metrics;
  const metrics =
    m && typeof m.auc_pr === 'number'
      ? {
          version: m.version ?? r.versionBefore,
          n: m.n ?? 0,
          frauds: m.frauds ?? 0,
          loss: m.loss ?? 0,
          auc_pr: m.auc_pr,
          roc_auc: m.roc_auc ?? 0,
          recall_at_1pct_fpr: m.recall_at_1pct_fpr ?? 0,
          precision: m.precision ?? 0,
          recall: m.recall ?? 0,
          f1: m.f1 ?? 0,
        }
      : undefined;
  return {
    round: r.round,
    ok: r.outcome === 'ok',
    ...(r.code ? { code: r.code } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    versionBefore: r.versionBefore,
    versionAfter: r.versionAfter,
    trainers: r.trainers.length,
    survivors: r.survivors.length,
    answered: r.membersAnswered.length,
    m: r.members.length,
    tRec: r.tRec,
    ...(typeof r.timings.total_ms === 'number' ? { totalMs: r.timings.total_ms } : {}),
    bytesIn: r.bytesIn,
    ...(metrics ? { metrics } : {}),
    ...(r.dp ? { epsilon: r.dp.epsilon } : {}),
  };
}

/** A fallback handler: answers GET /rounds.json, leaves everything else (returns false). */
export function roundLogRoute(dataDir: string): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const store = new Store(dataDir);
  return async (req, res) => {
    if (req.method !== 'GET' || new URL(req.url ?? '/', 'http://localhost').pathname !== '/rounds.json') return false;
    const rounds = (await store.readRounds()).map(toLogged);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ rounds }));
    return true;
  };
}
