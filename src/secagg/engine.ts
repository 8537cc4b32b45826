/**
 * The arithmetic engine (docs/protocol.md §6.1): the hot loops of masking,
 * unmasking, noise, sharing and the server's accumulation, behind one interface with two
 * implementations that compute exactly the same bytes:
 *
 * - `wasm`: one WebAssembly module with 128-bit SIMD (./wasm/), where WebAssembly SIMD exists;
 * - `ts`: the plain TypeScript reference (./engine-ts.ts), always available, and the fallback.
 *
 * Selection is automatic: the wasm engine loads in the background when this module is first
 * imported, and the async entry points (buildContribution, RoundAggregator, answerJob) wait
 * for it (`engineReady`). Until then, or if it cannot load, the reference runs; `engineStatus`
 * says which engine runs and, for the fallback, why (a typed reason).
 */
import { SecAggError } from './errors.js';
import { tsEngine } from './engine-ts.js';
import { type WasmLoadOptions, loadWasmEngine } from './wasm/load.js';
import type { ArithEngine, EngineName, FallbackReason } from './engine-types.js';

export type { Accumulator, ArithEngine, EngineName, FallbackCode, FallbackReason } from './engine-types.js';

/** Which engine computes, and for the reference, why it was chosen. */
export interface EngineStatus {
  readonly engine: EngineName;
  /** Absent when the wasm engine runs. */
  readonly fallback?: FallbackReason;
}

/** `useEngine('wasm')` where the wasm engine could not load; `reason` says why. */
export class EngineUnavailableError extends SecAggError {
  readonly reason: FallbackReason;
  constructor(reason: FallbackReason) {
    super('ENGINE_UNAVAILABLE', `the wasm engine is unavailable (${reason.code}): ${reason.message}`);
    this.reason = reason;
  }
}

let wasm: ArithEngine | undefined;
let failure: FallbackReason | undefined;
let forced: EngineName | undefined;
let loading: Promise<void> | undefined;

function load(opts: WasmLoadOptions = {}): Promise<void> {
  loading = loadWasmEngine(opts).then((r) => {
    if ('engine' in r) {
      wasm = r.engine;
      failure = undefined;
    } else {
      wasm = undefined;
      failure = r.reason;
    }
  });
  return loading;
}

/** Resolves once the wasm engine has loaded or failed to (never rejects). */
export function engineReady(): Promise<void> {
  return (loading ??= load());
}

/**
 * Loads the wasm engine again with these options (the browser's `?simd=off` passes
 * `{ simd: false }`: SIMD is treated as unavailable, which exercises the fallback).
 */
export function reloadEngine(opts: WasmLoadOptions): Promise<EngineStatus> {
  return load(opts).then(engineStatus);
}

/** The engine the core computes with now. */
export function engine(): ArithEngine {
  if (forced === 'ts') return tsEngine;
  return wasm ?? tsEngine;
}

export function engineStatus(): EngineStatus {
  if (forced === 'ts')
    return { engine: 'ts', fallback: { code: 'FORCED', message: 'the reference engine was chosen' } };
  if (wasm) return { engine: 'wasm' };
  return {
    engine: 'ts',
    fallback: failure ?? { code: 'NOT_LOADED', message: 'the wasm engine has not finished loading' },
  };
}

/**
 * Forces an engine (tests, benchmarks); undefined = automatic. Forcing `wasm` waits for it and
 * throws EngineUnavailableError (with the typed reason) where it cannot run.
 */
export async function useEngine(name: EngineName | undefined): Promise<void> {
  if (name === 'wasm') {
    await engineReady();
    if (!wasm) throw new EngineUnavailableError(failure ?? { code: 'NOT_LOADED', message: 'not loaded' });
  }
  forced = name;
}

// Start loading now, so that the first contribution finds the engine ready.
void engineReady();
