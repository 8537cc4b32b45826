/**
 * The main-thread side of the crypto worker (crypto.worker.ts): a CryptoRunner whose
 * arithmetic runs off the main thread. The worker answers every call with a value,
 * `{ ok: true, value } | { ok: false, error }`; here a refusal becomes a thrown
 * RemoteCryptoError that keeps the core's `code` (SEAL_FAILED, MALFORMED_INPUT, …), so the
 * engine handles it exactly as an in-process SecAggError.
 *
 * In the browser:
 *   const worker = new Worker(new URL('../client/crypto/crypto.worker.ts', import.meta.url), { type: 'module' });
 *   const crypto = createWorkerCrypto(worker);
 *   new ParticipantEngine({ ..., crypto });
 *
 * Browser-safe: no node: imports; the worker API is imported as a type only.
 */
import { type Endpoint, type Remote, proxy, releaseProxy, wrap } from 'comlink';
import { CodedError } from '../../base/error.js';
import type {
  CommitteeJob,
  CommitteeResponse,
  EngineStatus,
  MemberIdentity,
  MemberPolicy,
  RoundConfig,
  SliceFault,
} from '../../secagg/index.js';
import type {
  ContributeResult,
  CryptoApi,
  PingResult,
  ProgressCallback,
  ProgressStage,
  WorkerErrorInfo,
  WorkerResult,
} from './worker-api.js';
import type { CryptoRunner } from './types.js';

export type { ProgressStage } from './worker-api.js';

/**
 * A refusal or failure of the crypto worker, rethrown on the main thread with its code: the
 * core's SecAggError code, or WORKER_ERROR / WORKER_TERMINATED for the worker itself (a string,
 * as it crossed the worker boundary).
 */
export class RemoteCryptoError extends CodedError<string> {
  /** Spelled out: the app's minifier renames classes, and CodedError would name it after its class. */
  override readonly name = 'RemoteCryptoError';
  /** The error's class name inside the worker (SealError, MalformedInputError, …). */
  readonly remoteName: string;
  /** The slices a member could not use, when the worker refused a job for that (§25). */
  readonly faults: readonly SliceFault[] | undefined;
  constructor(info: WorkerErrorInfo) {
    super(info.code, info.message);
    this.remoteName = info.name;
    this.faults = info.faults;
  }
}

export type ProgressListener = (stage: ProgressStage, fraction: number) => void;

export interface WorkerCrypto extends CryptoRunner {
  contribute(
    cfg: RoundConfig,
    clientId: string,
    update: Int32Array,
    onProgress?: ProgressListener,
  ): Promise<ContributeResult>;
  answer(cfg: RoundConfig, job: CommitteeJob, me: MemberIdentity, policy?: MemberPolicy): Promise<CommitteeResponse>;
  /** Round trip to the worker; reports which crypto backends it uses. */
  ping(): Promise<PingResult>;
  /** The arithmetic engine that masks in the worker (wasm, or ts and why); `simd: false` simulates no SIMD. */
  arithEngine(opts?: { simd?: boolean }): Promise<EngineStatus>;
  /** Progress of every contribution (stage, fraction in [0, 1], ending at 1). Returns an unsubscribe. */
  onProgress(cb: ProgressListener): () => void;
  /** Stops the worker (or releases the endpoint); pending and later calls reject with WORKER_TERMINATED. */
  terminate(): void;
}

function isWorker(t: Worker | Endpoint): t is Worker {
  return typeof (t as Partial<Worker>).terminate === 'function';
}

/**
 * Wraps a crypto worker (or any comlink Endpoint exposing `cryptoApi`, e.g. a MessagePort).
 * The update sent to `contribute` is copied, not transferred: the caller keeps it.
 */
export function createWorkerCrypto(target: Worker | Endpoint): WorkerCrypto {
  const remote: Remote<CryptoApi> = wrap<CryptoApi>(target);
  const listeners = new Set<ProgressListener>();
  const pending = new Set<(e: Error) => void>();
  let dead: RemoteCryptoError | undefined;

  function failAll(err: RemoteCryptoError): void {
    dead ??= err;
    for (const reject of [...pending]) reject(err);
    pending.clear();
  }

  if (isWorker(target)) {
    // A module that fails to load, or an uncaught error in the worker: fail loudly instead of
    // leaving the round waiting for an answer that will never come.
    target.addEventListener('error', (ev: ErrorEvent) => {
      failAll(
        new RemoteCryptoError({
          code: 'WORKER_ERROR',
          name: 'WorkerError',
          message: `the crypto worker failed: ${ev.message || 'it could not start or threw outside a call'}`,
        }),
      );
      target.terminate();
    });
    target.addEventListener('messageerror', () => {
      failAll(
        new RemoteCryptoError({
          code: 'WORKER_ERROR',
          name: 'DataCloneError',
          message: 'a message from the crypto worker could not be deserialized',
        }),
      );
    });
  }

  /** One call: rejects on a worker failure or terminate(); unwraps the result value. */
  function call<T>(f: () => Promise<WorkerResult<T>>): Promise<T> {
    if (dead) return Promise.reject(dead);
    return new Promise<T>((resolve, reject) => {
      pending.add(reject);
      f().then(
        (r) => {
          if (!pending.delete(reject)) return; // already failed by terminate() or a worker error
          if (r.ok) resolve(r.value);
          else reject(new RemoteCryptoError(r.error));
        },
        (e: unknown) => {
          if (!pending.delete(reject)) return;
          // comlink itself failed (e.g. an argument that cannot be cloned)
          reject(
            new RemoteCryptoError({
              code: 'WORKER_ERROR',
              name: e instanceof Error ? e.name : 'Error',
              message: e instanceof Error ? e.message : String(e),
            }),
          );
        },
      );
    });
  }

  return {
    contribute(cfg, clientId, update, onProgress) {
      const wanted = onProgress || listeners.size > 0;
      const cb: ProgressCallback | undefined = wanted
        ? (stage, fraction) => {
            for (const l of onProgress ? [onProgress, ...listeners] : listeners) {
              try {
                l(stage, fraction);
              } catch {
                // a listener's bug must not disturb the contribution
              }
            }
          }
        : undefined;
      return call(() => remote.contribute(cfg, clientId, update, cb ? proxy(cb) : undefined));
    },
    privatize(update, params, seed) {
      return call(() => remote.privatize(update, params, seed));
    },
    answer(cfg, job, me, policy) {
      return call(() => remote.answer(cfg, job, me, policy));
    },
    ping() {
      return call(() => remote.ping());
    },
    arithEngine(opts) {
      return call(() => remote.arithEngine(opts));
    },
    onProgress(cb) {
      listeners.add(cb);
      return () => void listeners.delete(cb);
    },
    terminate() {
      if (dead?.code === 'WORKER_TERMINATED') return;
      failAll(
        new RemoteCryptoError({
          code: 'WORKER_TERMINATED',
          name: 'WorkerTerminated',
          message: 'the crypto worker was terminated',
        }),
      );
      if (isWorker(target)) target.terminate();
      else void Promise.resolve(remote[releaseProxy]()).catch(() => undefined);
    },
  };
}
