/**
 * The observer stream: one GET /status for context, then Server-Sent Events at /events (the
 * server replays its recent history on every connect; EventSource reconnects by itself).
 * No polling.
 */
import type { FederationEventType } from '../../wire/events.js';
import { parseRoundLog } from '../../wire/round-log.js';
import type { DashAction, StatusSnapshot } from './state.js';

const TYPES: FederationEventType[] = [
  'participants',
  'waiting',
  'round_started',
  'contribution',
  'cutoff',
  'answer',
  'complaint',
  'excluded',
  'round_done',
  'round_failed',
  'refused',
  'finished',
  'privacy_budget_spent',
];

export function connectStream(dispatch: (a: DashAction) => void, base = ''): () => void {
  void fetch(`${base}/status`, { cache: 'no-store' })
    .then(async (r) => (r.ok ? ((await r.json()) as StatusSnapshot) : undefined))
    .then((status) => status && dispatch({ type: 'status', status }))
    .catch(() => undefined); // the stream carries everything that matters

  // The persisted round log, on every (re)connect: a restarted server's stream replays only
  // its own rounds. Absent (404) where the server does not serve it; then the stream is all.
  const loadLog = () =>
    void fetch(`${base}/rounds.json`, { cache: 'no-store' })
      .then(async (r) => (r.ok ? parseRoundLog(await r.json()) : undefined))
      .then((log) => log && dispatch({ type: 'log', rounds: log.rounds }))
      .catch(() => undefined);

  const es = new EventSource(`${base}/events`);
  es.addEventListener('open', () => {
    dispatch({ type: 'connection', state: 'live' });
    loadLog();
  });
  es.addEventListener('error', () =>
    dispatch({ type: 'connection', state: es.readyState === EventSource.CLOSED ? 'lost' : 'connecting' }),
  );
  for (const t of TYPES) {
    es.addEventListener(t, (m: MessageEvent<string>) => {
      try {
        dispatch(JSON.parse(m.data) as DashAction);
      } catch (err) {
        console.warn(`dashboard: skipped a malformed '${t}' event`, err); // the rest of the stream still counts
      }
    });
  }
  return () => es.close();
}
