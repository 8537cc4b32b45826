/**
 * The crypto worker's API: a thin, typed boundary over src/secagg. Kept apart from
 * crypto.worker.ts (which only `expose`s it) so it can be tested without a Worker and so the
 * main thread can import its type alone.
 *
 * Errors never cross the boundary as exceptions (structured cloning drops an error's `code`):
 * every call resolves to `{ ok: true, value }` or `{ ok: false, error: { code, name, message } }`.
 * Results are sent back with comlink's `transfer()` of their ArrayBuffers, not copied.
 *
 * Browser-safe: imports only src/secagg and src/dp (pure, through ../privacy.ts) and comlink.
 */
import { releaseProxy, transfer } from 'comlink';
import { DpError } from '../../dp/errors.js';
import type { DpRoundParams } from '../../dp/round.js';
import { privatizeUpdate } from '../privacy.js';
import {
  type CommitteeJob,
  type CommitteeResponse,
  type Contribution,
  type EngineStatus,
  type ContributionDigests,
  type MemberIdentity,
  type RoundConfig,
  type TrainerTimings,
  type MemberPolicy,
  SecAggError,
  type SliceFault,
  SliceFaultError,
  activeBackends,
  answerJob,
  buildContribution,
  engineReady,
  engineStatus,
  reloadEngine,
} from '../../secagg/index.js';

export type ProgressStage = 'mask' | 'shares' | 'seal' | 'done';

/**
 * Receives (stage, fraction) while a contribution is built. Across the boundary it is a
 * comlink `proxy`; the worker waits for every call to be delivered before it returns the
 * result, so all progress arrives before the contribution does.
 */
export type ProgressCallback = (stage: ProgressStage, fraction: number) => unknown;

export interface WorkerErrorInfo {
  /** SecAggError's code (MALFORMED_INPUT, BAD_PARAMETERS, SEAL_FAILED, …) or 'WORKER_ERROR'. */
  code: string;
  name: string;
  message: string;
  /** The slices a member could not use (SliceFaultError), for its complaint (docs/protocol.md §25). */
  faults?: SliceFault[];
}

export type WorkerResult<T> = { ok: true; value: T } | { ok: false; error: WorkerErrorInfo };

export interface ContributeResult {
  contribution: Contribution;
  timings: TrainerTimings;
  /** What a certified trainer signs (docs/protocol.md §23). */
  digests: ContributionDigests;
}

export interface PingResult {
  pong: true;
  /** Which implementation AES and X25519 use in this worker (WebCrypto or the noble fallback). */
  backends: { aes: 'webcrypto' | 'noble'; x25519: 'webcrypto' | 'noble' };
  /** Whether the worker has WebCrypto at all (only in secure contexts). */
  subtle: boolean;
}

export function toErrorInfo(e: unknown): WorkerErrorInfo {
  if (e instanceof SliceFaultError) return { code: e.code, name: e.name, message: e.message, faults: [...e.faults] };
  if (e instanceof SecAggError || e instanceof DpError) return { code: e.code, name: e.name, message: e.message };
  if (e instanceof Error) return { code: 'WORKER_ERROR', name: e.name, message: e.message };
  return { code: 'WORKER_ERROR', name: 'Error', message: String(e) };
}

/** The distinct ArrayBuffers under these views (a transfer list must not repeat one). */
export function buffersOf(views: readonly ArrayBufferView[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of views) if (v.buffer instanceof ArrayBuffer) out.add(v.buffer);
  return [...out];
}

function release(cb: ProgressCallback | undefined): void {
  const r = (cb as unknown as Record<symbol, unknown> | undefined)?.[releaseProxy];
  if (typeof r === 'function') (r as () => void).call(cb);
}

async function guarded<T>(f: () => Promise<{ value: T; transfer: ArrayBuffer[] }>): Promise<WorkerResult<T>> {
  try {
    const { value, transfer: list } = await f();
    return transfer({ ok: true as const, value }, list);
  } catch (e) {
    return { ok: false, error: toErrorInfo(e) };
  }
}

export const cryptoApi = {
  async ping(): Promise<WorkerResult<PingResult>> {
    return guarded(async () => ({
      value: { pong: true as const, backends: await activeBackends(), subtle: globalThis.crypto?.subtle !== undefined },
      transfer: [],
    }));
  },

  /**
   * The arithmetic engine that masks in this worker (docs/protocol.md §6.1), once
   * it has loaded: `wasm`, or `ts` with the typed reason. `{ simd: false }` (the page's
   * `?simd=off`) loads it again as if WebAssembly SIMD were missing, which shows the fallback.
   */
  async arithEngine(opts: { simd?: boolean } = {}): Promise<WorkerResult<EngineStatus>> {
    return guarded(async () => {
      if (opts.simd === false) return { value: await reloadEngine({ simd: false }), transfer: [] };
      await engineReady();
      return { value: engineStatus(), transfer: [] };
    });
  },

  /** The trainer's one message for this round (buildContribution), masked and sealed. */
  async contribute(
    cfg: RoundConfig,
    clientId: string,
    update: Int32Array,
    onProgress?: ProgressCallback,
  ): Promise<WorkerResult<ContributeResult>> {
    try {
      return await guarded(async () => {
        const delivered: Promise<unknown>[] = [];
        const progress = onProgress
          ? (stage: ProgressStage, fraction: number): void => {
              delivered.push(new Promise((resolve) => resolve(onProgress(stage, fraction))).catch(() => undefined));
            }
          : undefined;
        const r = await buildContribution(cfg, clientId, update, progress ? { onProgress: progress } : {});
        // Progress is best effort (a failing callback must not lose the contribution), but all of
        // it is delivered before the result.
        await Promise.all(delivered);
        const c = r.contribution;
        const views = [c.masked[0], c.masked[1], ...(c.wire ?? []), c.ephemeralPublic, ...c.sealed];
        return { value: r, transfer: buffersOf(views) };
      });
    } finally {
      release(onProgress);
    }
  },

  /** A DP round's privatized update (privacy.ts privatizeUpdate), before masking. */
  async privatize(update: Float32Array, params: DpRoundParams, seed: Uint8Array): Promise<WorkerResult<Int32Array>> {
    return guarded(async () => {
      const values = privatizeUpdate(update, params, seed);
      return { value: values, transfer: buffersOf([values]) };
    });
  },

  /** The committee member's one answer (answerJob) for this job. */
  async answer(
    cfg: RoundConfig,
    job: CommitteeJob,
    me: MemberIdentity,
    policy?: MemberPolicy,
  ): Promise<WorkerResult<CommitteeResponse>> {
    return guarded(async () => {
      const r = await answerJob(cfg, job, me, policy);
      return { value: r, transfer: buffersOf([r.sum, r.survivorHash]) };
    });
  },
};

export type CryptoApi = typeof cryptoApi;
