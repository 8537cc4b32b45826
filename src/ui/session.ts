/**
 * One browser participant: identity and federation from IndexedDB, local data, the chosen
 * tfjs backend, the crypto Web Worker, and the shared client engine — wired to the view.
 */
import { unhex } from '../wire/authority.js';
import { INITIAL_SNAPSHOT, ParticipantEngine } from '../client/engine.js';
import type { LocalTrainer } from '../client/trainers/types.js';
import type { SocketLike } from '../client/transport.js';
import { type ClientStore } from '../client/storage.js';
import { createWorkerCrypto } from '../client/crypto/worker-crypto.js';
import { MlEvaluator } from '../client/trainers/ml-evaluator.js';
import { chooseBackend } from '../client/backend/controller.js';
import { BrowserTrainer } from '../client/trainers/browser-trainer.js';
import type { Dataset } from '../ml/dataset.js';
import { splitDataset } from '../ml/split.js';
import { type LinkEvent, initialLink, reduceLink } from './connection.js';
import type { ParticipantView, ViewState } from './participant-view.js';
import { browserPrivacyPolicy } from './dp-card.js';
import { type AppTestHooks, testHooks } from './test-hooks.js';

export interface SessionConfig {
  serverUrl: string;
  token: string;
  /** The enrollment authority key the participant pins (hex); the authority is at SERVER/authority. */
  authorityKey: string;
  /** Joined through an INSECURE demo link: take part in unsafe committees (shown in red). */
  insecureDemo: boolean;
  train: boolean;
  committee: boolean;
  data: Dataset | undefined;
  dataName: string;
  backendOverride: string | undefined;
  /** False with `?simd=off`: the worker masks as if WebAssembly SIMD were missing (the fallback). */
  simd: boolean;
}

/** http(s)://host[:port]/… → ws(s)://host[:port]/ws */
export function wsUrlOf(serverUrl: string): string {
  const u = new URL(serverUrl);
  return `${u.protocol === 'https:' ? 'wss' : 'ws'}://${u.host}/ws`;
}

export async function startSession(
  cfg: SessionConfig,
  store: ClientStore,
  view: ParticipantView,
): Promise<{ stop(): void }> {
  const identity = await store.getOrCreateIdentity();
  const signing = await store.getOrCreateSigningKey();
  const keys = await store.keyProtection();
  const history = await store.getHistory();
  const vs: ViewState = {
    engine: { ...INITIAL_SNAPSHOT, connection: 'connecting' },
    backend: undefined,
    masking: undefined,
    keys,
    data: cfg.data ? { name: cfg.dataName, rows: cfg.data.size, frauds: countFrauds(cfg.data) } : undefined,
    progress: undefined,
    link: initialLink(cfg.serverUrl),
    sent: undefined,
    result: undefined,
    nextAt: undefined,
    points: history.map((h) => ({ round: h.round, loss: h.loss, aucPr: h.aucPr, bytes: h.bytesSent })),
    history: history.map((h) => ({ round: h.round, role: h.role, ok: h.ok, version: h.version, note: h.note ?? '' })),
    errors: [],
    committee: undefined,
    privacy: undefined,
  };
  const render = () => view.render(vs);
  render();
  /** Connection-state events; errors about the connection clear once it is open again. */
  const link = (e: LinkEvent) => {
    vs.link = reduceLink(vs.link, e);
    if (vs.link.kind === 'open') vs.errors = vs.errors.filter((x) => !CONNECTION_CODES.has(x.code));
    render();
  };
  // Countdowns (next try, next round) move on a local 1 s timer; no requests.
  const ticker = setInterval(() => {
    if (vs.link.retryAt !== undefined || vs.nextAt !== undefined) render();
  }, 1000);
  /** A failed IndexedDB write is shown in the error panel, never swallowed. */
  const storageFailed = (what: string) => (err: unknown) => {
    vs.errors.push({
      at: new Date().toLocaleTimeString(),
      code: 'STORAGE_FAILED',
      message: `${what} not saved: ${err instanceof Error ? err.message : String(err)}`,
    });
    render();
  };

  const splits = cfg.data ? splitDataset(cfg.data) : undefined;
  const backend = await chooseBackend({ override: cfg.backendOverride });
  vs.backend = { name: backend.name, reason: backend.reason };
  render();

  const worker = new Worker(new URL('../client/crypto/crypto.worker.ts', import.meta.url), { type: 'module' });
  const crypto = createWorkerCrypto(worker);
  // Which engine masks in the worker (docs/protocol.md §6.1), shown like the backend.
  crypto.arithEngine(cfg.simd ? {} : { simd: false }).then(
    (st) => ((vs.masking = st), render()),
    (e: unknown) => ((vs.masking = { engine: 'ts', fallback: { code: 'LOAD_FAILED', message: String(e) } }), render()),
  );
  crypto.onProgress((_stage, fraction) => {
    vs.progress = { phase: 'sealing', fraction };
    render();
  });
  // Present only when a browser test put the hooks object on the page (test-hooks.ts).
  const hooks = testHooks();
  const quantizedByRound = new Map<number, number[]>();
  const trainer = splits
    ? new BrowserTrainer(splits.train, {
        onBackendChange: (name, reason) => ((vs.backend = { name, reason }), render()),
      })
    : undefined;
  // Rounds held by the test hook (which exists only in a browser test, so nothing is ever held otherwise).
  const held = new Map<number, { promise: Promise<void>; release: () => void }>();
  const gatedTrainer: LocalTrainer | undefined = trainer && {
    train: async (input, progress) => {
      await held.get(input.round)?.promise;
      return trainer.train(input, progress);
    },
  };
  const engine = new ParticipantEngine({
    url: wsUrlOf(cfg.serverUrl),
    token: cfg.token,
    identity,
    authority: { url: `${new URL(cfg.serverUrl).origin}/authority`, keys: [unhex(cfg.authorityKey)] },
    signing,
    acceptUnsafeCommittee: cfg.insecureDemo,
    ...(testHooks() ? { presenceMs: 1_000 } : {}), // browser tests close tabs and expect quick re-draws
    train: cfg.train && !!trainer,
    committee: cfg.committee,
    label: 'browser',
    socketFactory: (url) => {
      // The page watches its own socket for the server's close codes (connection.ts); the
      // transport's handlers are the socket's on* properties, these are listeners beside them.
      const ws = new WebSocket(url);
      ws.addEventListener('open', () => link({ type: 'open' }));
      ws.addEventListener('close', (ev) => link({ type: 'close', code: ev.code, reason: ev.reason, at: Date.now() }));
      return ws as unknown as SocketLike;
    },
    ...(gatedTrainer ? { trainer: gatedTrainer } : {}),
    ...(splits ? { evaluator: new MlEvaluator(splits.validation) } : {}),
    crypto,
    answeredRounds: store.answeredRounds,
    privacy: browserPrivacyPolicy(),
    onQuantized: (round, q) => {
      if (!hooks) return; // kept only for the test hook
      quantizedByRound.set(round, Array.from(q));
      for (const r of quantizedByRound.keys()) if (quantizedByRound.size > 50) quantizedByRound.delete(r);
    },
  });

  if (hooks) {
    Object.assign(hooks, {
      state: () => engine.state,
      quantized: (round) => quantizedByRound.get(round),
      backend: () => vs.backend?.name,
      masking: () => vs.masking?.engine,
      holdTraining: (round) => {
        if (held.has(round)) return;
        let release = () => {};
        const promise = new Promise<void>((r) => (release = r));
        held.set(round, { promise, release });
      },
      releaseTraining: (round) => held.get(round)?.release(),
    } satisfies AppTestHooks);
  }

  // Per-round facts collected from events, written to the history when the result arrives.
  const pending = new Map<number, { role: string; loss?: number; bytes?: number; aucPr?: number; receipt?: string }>();
  const point = (round: number) => {
    let p = vs.points.find((x) => x.round === round);
    if (!p) vs.points.push((p = { round }));
    return p;
  };

  engine.on((e) => {
    switch (e.type) {
      case 'state':
        vs.engine = e.state;
        if (e.state.phase !== 'training' && e.state.phase !== 'sealing') vs.progress = undefined;
        break;
      case 'progress':
        vs.progress = { phase: e.phase, fraction: e.fraction, detail: e.detail };
        break;
      case 'round': {
        vs.committee = e.committee;
        vs.nextAt = undefined;
        pending.set(e.round, { role: e.role === 'member' ? `member #${e.memberIndex}` : e.role });
        store
          .saveModel({ version: e.version, weights: e.weights, architecture: e.architecture })
          .catch(storageFailed(`model v${e.version}`));
        break;
      }
      case 'evaluated': {
        // The round's global model on this tab's held-out rows (its statistics are masked into
        // the contribution; the federation-wide metrics are only known to the server summed).
        const p = pending.get(e.round);
        if (p) p.aucPr = e.aucPr;
        point(e.round).aucPr = e.aucPr;
        break;
      }
      case 'privacy':
        vs.privacy = e;
        break;
      case 'trained': {
        const p = pending.get(e.round);
        if (p && e.loss !== undefined) p.loss = e.loss;
        point(e.round).loss = e.loss;
        break;
      }
      case 'sent':
      case 'complained':
      case 'answered': {
        vs.sent = { round: e.round, bytes: e.bytes, member: e.type !== 'sent' };
        const p = pending.get(e.round);
        if (p) p.bytes = e.bytes;
        point(e.round).bytes = e.bytes;
        break;
      }
      case 'result': {
        vs.result = { round: e.round, ok: e.ok, survivors: e.survivors };
        // the server's schedule: it opens the next round this many ms after the result
        vs.nextAt = e.nextRoundInMs === undefined ? undefined : Date.now() + e.nextRoundInMs;
        const p = pending.get(e.round);
        if (!p) break; // a round this participant was not part of
        const note =
          (e.ok ? `${e.survivors} trainer(s), ${e.answered} committee answer(s)` : `${e.code}: ${e.reason ?? ''}`) +
          (p.receipt ? ` · ${p.receipt}` : '');
        // The row is shown once it is stored, so a row on screen survives a reload.
        const row = { round: e.round, role: p.role, ok: e.ok, version: e.version, note };
        const show = () => (vs.history.push(row), render());
        store
          .addHistory({ ...row, loss: p.loss, aucPr: p.aucPr, bytesSent: p.bytes, at: new Date().toISOString() })
          .then(show, (err: unknown) => (show(), storageFailed(`round ${e.round} history`)(err)));
        if (!e.ok)
          vs.errors.push({
            at: new Date().toLocaleTimeString(),
            code: e.code ?? 'ROUND_FAILED',
            message: e.reason ?? 'round failed',
          });
        pending.delete(e.round);
        break;
      }
      case 'error':
        if (e.code === 'AUTHORITY_UNREACHABLE' && vs.link.kind !== 'open')
          link({ type: 'enroll-unreachable', message: e.message, at: Date.now() });
        else if (e.code === 'AUTHORITY_REFUSED' || e.code === 'OFFENDER')
          link({ type: 'enroll-refused', message: e.code === 'OFFENDER' ? `offender: ${e.message}` : e.message });
        vs.errors.push({ at: new Date().toLocaleTimeString(), code: e.code, message: e.message });
        break;
      case 'receipt': {
        // Whether this trainer's contribution is in the survivor set the members signed (receipt.ts).
        const p = pending.get(e.round);
        if (p) p.receipt = e.text;
        if (!e.included && e.text.includes('not verified'))
          vs.errors.push({ at: new Date().toLocaleTimeString(), code: 'RECEIPT', message: e.text });
        break;
      }
      case 'dropped':
        break;
    }
    render();
  });
  engine.start();
  return {
    stop: () => {
      clearInterval(ticker);
      link({ type: 'stopped' });
      engine.stop();
      crypto.terminate();
    },
  };
}

/** Errors that describe the connection: they clear once the tab is connected again. */
const CONNECTION_CODES = new Set(['AUTHORITY_UNREACHABLE', 'UNAUTHENTICATED', 'UNCERTIFIED', 'AUTHORITY_REFUSED']);

function countFrauds(d: Dataset): number {
  let f = 0;
  for (const l of d.labels) f += l;
  return f;
}
