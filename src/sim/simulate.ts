/**
 * `npm run simulate`: a whole federation of headless participants over real sockets, with
 * dropouts injected at random protocol points, a per-round table and a final JSON summary.
 * The simulator watches the server only through its public observer stream (/events) and
 * checks exactness against the server's digest of the decoded sum using its own trainers'
 * records — the same check works for an in-process server and for `--url`.
 */
import { createHash, randomInt } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { MlEvaluator } from '../client/trainers/ml-evaluator.js';
import { MlTrainer } from '../client/trainers/ml-trainer.js';
import type { DropPoint } from '../client/engine.js';
import { fetchCheckpoint } from '../ml/checkpoint.js';
import { saveCheckpoint } from '../ml/checkpoint-node.js';
import type { Dataset } from '../ml/dataset.js';
import { partitionDataset } from '../ml/partition.js';
import { evaluateModel, modelFromFlat } from '../ml/pipeline.js';
import { splitDataset } from '../ml/split.js';
import { type CommitteeSettings, type MemberIdentity, createIdentity, explicitCommittee } from '../secagg/index.js';
import type { FederationEvent, FederationStatus } from '../wire/events.js';
import type { ServerConfig } from '../server/config.js';
import { EventLog, type LocalServer, type SimParticipant, startLocalServer, startParticipant } from './harness.js';
import { pick } from './headless.js';
import { observe } from './observe.js';

export interface SimulateOptions {
  trainers: number;
  committee: number;
  rounds: number;
  /** Fraction of trainers that crash in each round, at a random protocol point. */
  dropTrainers: number;
  /** Committee members that stay silent in each round. */
  dropMembers: number;
  threshold?: number;
  rho?: number;
  /** INSECURE: let the in-process server run a committee that is not subset-safe. */
  insecureDemo?: boolean;
  data: Dataset;
  dataLabel: string;
  nonIid: boolean;
  epochs: number;
  learningRate: number;
  batchSize: number;
  submitMs: number;
  committeeMs: number;
  /** Data directory of the in-process server (default: a temp dir). */
  dataDir?: string;
  /** Use a running server instead of starting one. */
  url?: string;
  token?: string;
  /** Where to save the final model when the server is remote. */
  out: string;
  /** Differential privacy of the in-process server (docs/dp.md §12): its dp* settings. */
  dp?: Pick<Partial<ServerConfig>, 'dpNoiseMultiplier' | 'dpClip' | 'dpEpsilon' | 'dpDelta' | 'dpColluders'>;
  log: (line: string) => void;
}

export interface RoundRow {
  round: number;
  ok: boolean;
  code?: string;
  reason?: string;
  trainers: number;
  survivors: number;
  answered: number;
  m: number;
  tRec: number;
  ms: number;
  auc_pr: number | null;
  /** Decoded sum equals the simulator's plaintext sum (null: not checkable). */
  exact: boolean | null;
}

export interface SimulateResult {
  rounds_completed: number;
  rounds_failed: number;
  exact: boolean | null;
  model: string;
  final_version: number;
  final_auc_pr: number | null;
  /** The federation's ε(δ) at the end (null without DP), and whether its budget ended the run. */
  epsilon: number | null;
  delta: number | null;
  stopped_by_budget: boolean;
  rows: RoundRow[];
}

const TRAINER_POINTS: DropPoint[] = ['before-train', 'before-send', 'after-send'];

/**
 * The simulator's committee: all m volunteers. Unless t_rec (`threshold`) is given it tolerates
 * d_max = max(1, silent) silent members (at most m − 2), and unless ρ is given (capped at
 * t_rec − 1) c_max = ⌈m/3⌉ colluding ones (at most t_rec − 1), lowered to t_rec − d_max − 1
 * where that keeps it ≥ 1 so the committee is subset-safe (t_rec > d_max + c_max,
 * docs/protocol.md §15); the core derives and checks t_rec = m − d_max and ρ = t_rec − c_max.
 */
export function defaultCommittee(m: number, silent: number, threshold?: number, rho?: number): CommitteeSettings {
  const dMax = threshold === undefined ? Math.min(Math.max(1, silent), m - 2) : m - threshold;
  const tRec = m - dMax;
  let cMax = rho === undefined ? Math.min(Math.ceil(m / 3), tRec - 1) : tRec - Math.min(rho, tRec - 1);
  if (rho === undefined && tRec - dMax - 1 >= 1) cMax = Math.min(cMax, tRec - dMax - 1);
  return explicitCommittee({ m, tRec, rho: tRec - cMax });
}

function sumDigest(sum: Float64Array): string {
  return createHash('sha256')
    .update(new Uint8Array(sum.buffer, sum.byteOffset, sum.byteLength))
    .digest('hex');
}

export async function simulate(o: SimulateOptions): Promise<SimulateResult> {
  const committee = defaultCommittee(o.committee, o.dropMembers, o.threshold, o.rho);
  const splits = splitDataset(o.data);
  const shards = partitionDataset(splits.train, { clients: o.trainers, mode: o.nonIid ? 'non-iid' : 'iid' });
  // Each trainer also holds out a shard of the validation split for the secure metrics.
  const heldOut = partitionDataset(splits.validation, { clients: o.trainers, mode: o.nonIid ? 'non-iid' : 'iid' });
  let server: LocalServer | undefined;
  let baseUrl: string;
  let wsUrl: string;
  let token: string;
  if (o.url) {
    const u = new URL(o.url);
    baseUrl = `${u.protocol === 'wss:' || u.protocol === 'https:' ? 'https' : 'http'}://${u.host}`;
    wsUrl = `${baseUrl.replace(/^http/, 'ws')}/ws`;
    token = o.token ?? '';
  } else {
    server = await startLocalServer({
      committee: { m: committee.m, tRec: committee.tRec, rho: committee.rho },
      insecureDemo: o.insecureDemo ?? false,
      rounds: o.rounds,
      minTrainers: 3,
      firstRoundParticipants: o.trainers + o.committee,
      epochs: o.epochs,
      learningRate: o.learningRate,
      batchSize: o.batchSize,
      submitMs: o.submitMs,
      committeeMs: o.committeeMs,
      pauseMs: 300,
      testMode: false,
      ...o.dp,
      ...(o.dataDir ? { dataDir: o.dataDir } : {}),
    });
    baseUrl = server.server.url;
    wsUrl = server.wsUrl;
    token = server.token;
  }
  const status = (await (await fetch(`${baseUrl}/status`)).json()) as { round: number | null; federation: string };
  const firstRound = (status.round ?? 0) + 1;
  const events = new EventLog<FederationEvent>();
  const obs = observe(baseUrl, (e) => {
    if (!('round' in e) || e.round >= firstRound) events.push(e);
  });
  await obs.ready;

  // Per identity: the records of every incarnation (a crashed participant rejoins next round).
  interface Slot {
    identity: MemberIdentity;
    train: boolean;
    shard?: Dataset;
    heldOut?: Dataset;
    quantized: Map<number, Int32Array>;
    current: SimParticipant;
    clientId?: string;
  }
  const drops = new Map<number, Map<number, DropPoint>>(); // round → slot index → point
  const slots: Slot[] = [];
  const spawn = (i: number): SimParticipant => {
    const s = slots[i] as Slot;
    const p = startParticipant({
      url: wsUrl,
      token,
      train: s.train,
      committee: !s.train,
      identity: s.identity,
      quantized: s.quantized,
      label: s.train ? `trainer-${i}` : `member-${i - o.trainers}`,
      ...(s.shard ? { trainer: new MlTrainer(s.shard, i) } : {}),
      ...(s.heldOut ? { evaluator: new MlEvaluator(s.heldOut) } : {}),
      dropAt: (round, point) => drops.get(round)?.get(i) === point,
    });
    p.engine.on((e) => {
      if (e.type === 'state' && e.state.clientId) s.clientId = e.state.clientId;
    });
    return p;
  };
  for (let i = 0; i < o.trainers + o.committee; i++) {
    const train = i < o.trainers;
    slots.push({
      identity: createIdentity(),
      train,
      ...(train ? { shard: shards[i], heldOut: heldOut[i] } : {}),
      quantized: new Map(),
      current: undefined as unknown as SimParticipant,
    });
    (slots[i] as Slot).current = spawn(i);
  }

  // Crashes are planned before any round starts (a trainer reaches its first drop point as soon
  // as its descriptor arrives, before the simulator could react): per round, a fraction of the
  // trainers at random points and `dropMembers` volunteers before answering.
  const trainerIdx = slots.map((s, i) => (s.train ? i : -1)).filter((i) => i >= 0);
  const memberIdx = slots.map((s, i) => (s.train ? -1 : i)).filter((i) => i >= 0);
  for (let n = 0; n < o.rounds; n++) {
    const plan = new Map<number, DropPoint>();
    for (const i of pick(trainerIdx, Math.round(o.dropTrainers * trainerIdx.length)))
      plan.set(i, TRAINER_POINTS[randomInt(TRAINER_POINTS.length)] as DropPoint);
    for (const i of pick(memberIdx, Math.min(o.dropMembers, memberIdx.length))) plan.set(i, 'before-answer');
    drops.set(firstRound + n, plan);
  }

  const rows: RoundRow[] = [];
  let lastVersion = 0;
  let stoppedByBudget = false;
  try {
    for (let n = 0; n < o.rounds; n++) {
      const round = firstRound + n;
      const next = await events.waitFor(
        (e) => (e.type === 'round_started' && e.round === round) || e.type === 'privacy_budget_spent',
        o.submitMs + o.committeeMs + 120_000,
        `round ${round} to start`,
      );
      if (next.type === 'privacy_budget_spent') {
        o.log(`  ${next.message}`);
        stoppedByBudget = true;
        break;
      }
      const started = next as Extract<FederationEvent, { type: 'round_started' }>;
      const plan = drops.get(round) as Map<number, DropPoint>;
      type End = Extract<FederationEvent, { type: 'round_done' | 'round_failed' }>;
      const end = await events.waitFor(
        (e): e is End => (e.type === 'round_done' || e.type === 'round_failed') && e.round === round,
        o.submitMs + o.committeeMs + 120_000,
        `round ${round} to end`,
      );
      const cut = events.events.find((e) => e.type === 'cutoff' && e.round === round) as
        Extract<FederationEvent, { type: 'cutoff' }> | undefined;
      const row: RoundRow = {
        round,
        ok: end.type === 'round_done',
        trainers: started.trainers.length,
        survivors: cut?.survivors.length ?? 0,
        answered:
          end.type === 'round_done'
            ? end.membersAnswered.length
            : events.events.filter((e) => e.type === 'answer' && e.round === round).length,
        m: started.m,
        tRec: started.tRec,
        ms: (end.type === 'round_done' ? end.timings.total_ms : undefined) ?? 0,
        auc_pr: null,
        exact: null,
      };
      if (end.type === 'round_done') {
        lastVersion = end.version;
        const byId = new Map(slots.filter((s) => s.clientId).map((s) => [s.clientId as string, s]));
        const mine = end.survivors.every((id) => byId.get(id)?.quantized.has(round));
        if (mine) {
          let sum: Float64Array | undefined;
          for (const id of end.survivors) {
            const q = (byId.get(id) as Slot).quantized.get(round) as Int32Array;
            sum ??= new Float64Array(q.length);
            for (let i = 0; i < q.length; i++) sum[i] = (sum[i] as number) + (q[i] as number);
          }
          row.exact = !!sum && sumDigest(sum) === end.sumDigest;
        }
        const ckpt = await fetchCheckpoint(`${baseUrl}/model`);
        const tm = await modelFromFlat(
          ckpt.weights,
          ckpt.manifest.architecture,
          ckpt.manifest.scaling,
          splits.validation,
        );
        try {
          row.auc_pr = (await evaluateModel(tm.model, splits.validation, tm.scaling, tm.threshold)).auc_pr;
        } finally {
          tm.model.dispose();
        }
      } else {
        row.code = end.code;
        row.reason = end.reason;
        lastVersion = end.version;
      }
      rows.push(row);
      o.log(formatRow(row));
      // Crashed participants come back (same identity) for the next round.
      for (const i of plan.keys()) {
        const s = slots[i] as Slot;
        if (s.current.engine.state.connection === 'closed') s.current = spawn(i);
      }
    }
    let model: string;
    if (server) model = server.fed.modelDir;
    else {
      await mkdir(o.out, { recursive: true });
      await saveCheckpoint(o.out, await fetchCheckpoint(`${baseUrl}/model`));
      model = o.out;
    }
    const checked = rows.filter((r) => r.ok).map((r) => r.exact);
    const privacy = ((await (await fetch(`${baseUrl}/status`)).json()) as FederationStatus).privacy;
    return {
      rounds_completed: rows.filter((r) => r.ok).length,
      rounds_failed: rows.filter((r) => !r.ok).length,
      exact: checked.length === 0 ? null : checked.includes(false) ? false : checked.includes(null) ? null : true,
      model,
      final_version: lastVersion,
      final_auc_pr: [...rows].reverse().find((r) => r.auc_pr !== null)?.auc_pr ?? null,
      epsilon: privacy ? privacy.epsilon : null,
      delta: privacy ? privacy.delta : null,
      stopped_by_budget: stoppedByBudget,
      rows,
    };
  } finally {
    obs.close();
    for (const s of slots) s.current.engine.stop();
    await server?.stop();
  }
}

export const TABLE_HEADER = 'round  status  trainers  survivors  answered/m (t_rec)  time ms  AUC-PR  exact  note';

export function formatRow(r: RoundRow): string {
  return [
    String(r.round).padStart(5),
    (r.ok ? 'ok' : 'FAILED').padEnd(6),
    String(r.trainers).padStart(8),
    String(r.survivors).padStart(9),
    `${r.answered}/${r.m} (${r.tRec})`.padStart(18),
    String(r.ms).padStart(8),
    (r.auc_pr === null ? '—' : r.auc_pr.toFixed(4)).padStart(7),
    String(r.exact === null ? '—' : r.exact ? 'yes' : 'NO').padStart(6),
    r.ok ? '' : ` ${r.code}: ${r.reason}`,
  ].join('  ');
}
