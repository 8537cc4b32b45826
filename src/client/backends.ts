/**
 * Browser only: picks the fastest tfjs backend that works here, with a reason the UI shows
 * ("backend: wasm — webgpu is a software adapter (SwiftShader), 14× slower here"), watches a
 * WebGPU device for loss and falls back to the next backend, and a LocalTrainer that retries
 * a training call interrupted by such a loss once on the fallback backend.
 *
 * Candidates: webgpu, webgl, wasm, cpu. Each one that initialises runs a few training steps
 * of the project's MLP on random data (after one warm-up step); the ranking is the pure
 * function of backend-rank.ts. A software WebGPU adapter (headless Chromium here offers
 * SwiftShader) is measured last and only if the start-up budget allows; unmeasured it ranks
 * below wasm and cpu. `?backend=NAME` (passed in as `backend`) forces one backend and fails
 * loudly if it cannot initialise.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { Dataset } from '../ml/dataset.js';
import { localUpdate } from '../ml/federated.js';
import { buildModel, mlpArchitecture, parseArchitecture } from '../ml/model.js';
import { DEFAULT_SCALING, type ScalingSpec, numInputs } from '../ml/scaling.js';
import { trainModel } from '../ml/train.js';
import {
  type AdapterSummary,
  BACKEND_PREFERENCE,
  type BackendName,
  type CandidateReport,
  backendLabel,
  explainChoice,
  isSoftwareAdapter,
  isSoftwareRenderer,
  rankCandidates,
} from './backend/rank.js';
import type { LocalTrainer, TrainInput, TrainOutput } from './trainers/types.js';
import { ModelCache } from './trainers/model-cache.js';

export { type AdapterSummary, type BackendName, type CandidateReport, BACKEND_PREFERENCE, backendLabel } from './backend/rank.js';

let wasmPathsSet = false;
/** Points the wasm backend at the .wasm files the app serves (Vite `?url` assets). */
export function configureWasmPaths(): void {
  if (wasmPathsSet) return;
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlainUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
  });
  wasmPathsSet = true;
}

/** A forced backend (`?backend=NAME`) could not initialise. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

/** Training was interrupted because the backend's device was lost. */
export class BackendLostError extends Error {
  override readonly name = 'BackendLostError';
  constructor(readonly event: FallbackEvent) {
    super(`tfjs backend '${event.from}' lost (${event.message}); now on '${event.to ?? 'none'}'`);
  }
}

export interface ChooseOptions {
  /** Force this backend (the `?backend=` URL parameter); throws if it cannot initialise. */
  backend?: string | null | undefined;
  /** Alias of `backend`. */
  override?: string | null | undefined;
  /** Cap of the whole start-up probe and measurement, ms (default 2500). */
  budgetMs?: number;
  /** Most timed training steps per candidate after the warm-up steps (default 8). */
  steps?: number;
  /** Candidates to consider (default webgpu, webgl, wasm, cpu). */
  candidates?: readonly BackendName[];
  /**
   * Measure a software WebGPU / WebGL too when the budget allows (default false: their first
   * step compiles shaders for seconds, more than the whole budget; they rank below wasm/cpu).
   */
  measureSoftware?: boolean;
  log?: (msg: string) => void;
  /** Called after a fallback (WebGPU device lost) with the new backend and why. */
  onFallback?: (ev: FallbackEvent) => void;
}

export interface BackendChoice {
  /** The active backend. */
  name: string;
  /** Why, for the UI (see {@link backendLabel}). */
  reason: string;
  /** Every candidate considered, in probe order. */
  candidates: CandidateReport[];
  /** Ranked names of the candidates that initialised, best first (the fallback order). */
  ranking: string[];
  adapter?: AdapterSummary;
  webglRenderer?: string;
  forced: boolean;
  /** Wall time of the choice, ms. */
  startupMs: number;
}

export interface FallbackEvent {
  from: string;
  to: string | undefined;
  message: string;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<unknown>;
}

/** The WebGPU adapter's self-description, or why there is none. */
export async function probeWebGpu(timeoutMs = 1500): Promise<{ adapter?: AdapterSummary; note?: string }> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return { note: 'navigator.gpu is missing (WebGPU not enabled in this browser)' };
  try {
    const adapter = (await withTimeout(gpu.requestAdapter({ powerPreference: 'high-performance' }), timeoutMs, 'requestAdapter')) as
      | (Record<string, unknown> & { info?: Record<string, unknown>; isFallbackAdapter?: boolean; requestAdapterInfo?: () => Promise<Record<string, unknown>> })
      | null;
    if (!adapter) return { note: 'navigator.gpu.requestAdapter() returned null (no adapter)' };
    const info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : {});
    const str = (k: string): string | undefined => (typeof info[k] === 'string' ? (info[k] as string) : undefined);
    const fallback = typeof info.isFallbackAdapter === 'boolean' ? info.isFallbackAdapter : adapter.isFallbackAdapter;
    const summary: AdapterSummary = {};
    const vendor = str('vendor');
    const architecture = str('architecture');
    const device = str('device');
    const description = str('description');
    if (vendor) summary.vendor = vendor;
    if (architecture) summary.architecture = architecture;
    if (device) summary.device = device;
    if (description) summary.description = description;
    if (typeof fallback === 'boolean') summary.isFallbackAdapter = fallback;
    return { adapter: summary };
  } catch (e) {
    return { note: `requestAdapter failed: ${errText(e)}` };
  }
}

/** The WebGL renderer string (unmasked when the browser allows), or undefined. */
export function probeWebGlRenderer(): string | undefined {
  try {
    const canvas: HTMLCanvasElement | OffscreenCanvas =
      typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return undefined;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const r = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return typeof r === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

class StopMeasuring extends Error {}

/** Untimed steps before the timed ones (the first runs compile kernels / warm the JIT). */
const WARMUP_STEPS = 2;

/**
 * ms per training step of the project's MLP (batch 256, random data) on the active backend:
 * {@link WARMUP_STEPS} warm-up steps, then up to `steps` timed steps while `deadline`
 * (performance.now()) allows; the median of the timed steps. With no timed step (the deadline
 * passed during warm-up) it returns the last warm-up step, `timed: 0` (an upper bound).
 */
export async function measureActiveBackend(steps: number, deadline: number): Promise<{ msPerStep: number; timed: number; warmupMs: number }> {
  const arch = mlpArchitecture(numInputs(DEFAULT_SCALING));
  const d = arch.inputs;
  const batch = 256;
  const rows = batch * (WARMUP_STEPS + steps);
  const x = new Float32Array(rows * d);
  for (let i = 0; i < x.length; i++) x[i] = Math.random() * 2 - 1;
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) y[i] = Math.random() < 0.1 ? 1 : 0;
  const model = buildModel(arch, 0);
  const stamps: number[] = [performance.now()];
  try {
    await trainModel(model, x, y, d, {
      epochs: 1,
      batchSize: batch,
      onProgress: (p) => {
        if (p.kind !== 'batch') return;
        const now = performance.now();
        stamps.push(now);
        if (now > deadline && stamps.length > 2) throw new StopMeasuring();
      },
    });
  } catch (e) {
    if (!(e instanceof StopMeasuring)) throw e;
  } finally {
    model.dispose();
  }
  const diffs = stamps.slice(1).map((t, i) => t - (stamps[i] as number));
  const warmupMs = diffs.slice(0, WARMUP_STEPS).reduce((a, b) => a + b, 0);
  const timed = diffs.slice(WARMUP_STEPS).sort((a, b) => a - b);
  const msPerStep = timed.length ? (timed[timed.length >> 1] as number) : (diffs.at(-1) ?? NaN);
  return { msPerStep, timed: timed.length, warmupMs };
}

async function trySetBackend(name: string): Promise<string | undefined> {
  if (name === 'wasm') configureWasmPaths();
  if (!tf.findBackendFactory(name)) return `not registered in this build`;
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return 'failed to initialise';
    await tf.ready();
    return undefined;
  } catch (e) {
    return `failed to initialise: ${errText(e)}`;
  }
}

/**
 * Chooses and activates the tfjs backend (see the module comment), then watches it for a
 * WebGPU device loss ({@link currentBackend}). With `backend` (or `override`) set, only that
 * one is tried and a failure throws {@link BackendUnavailableError}.
 */
export async function chooseBackend(opts: ChooseOptions = {}): Promise<BackendChoice> {
  const choice = await selectBackend(opts);
  active?.dispose();
  active = new BackendController(choice, opts.log ?? (() => undefined));
  if (opts.onFallback) active.onFallback(opts.onFallback);
  return choice;
}

let active: BackendController | undefined;

/** The controller of the last {@link chooseBackend}, or undefined before the first. */
export function currentBackend(): BackendController | undefined {
  return active;
}

async function selectBackend(opts: ChooseOptions): Promise<BackendChoice> {
  const t0 = performance.now();
  const log = opts.log ?? (() => undefined);
  const forced = (opts.backend ?? opts.override)?.trim().toLowerCase() || undefined;
  const budget = opts.budgetMs ?? 2500;
  const steps = opts.steps ?? 8;
  const names = opts.candidates ?? BACKEND_PREFERENCE;
  const wants = (n: BackendName): boolean => (forced ? forced === n : names.includes(n));

  const gpu = wants('webgpu') ? await probeWebGpu() : {};
  const renderer = wants('webgl') ? probeWebGlRenderer() : undefined;
  const extra: Pick<BackendChoice, 'adapter' | 'webglRenderer'> = {};
  if (gpu.adapter) extra.adapter = gpu.adapter;
  if (renderer) extra.webglRenderer = renderer;

  if (forced) {
    const err = forced === 'webgpu' && !gpu.adapter ? (gpu.note ?? 'no WebGPU adapter') : await trySetBackend(forced);
    if (err !== undefined) throw new BackendUnavailableError(`backend '${forced}' was requested (?backend=${forced}) but it is unavailable: ${err}`);
    const software = forced === 'webgpu' ? isSoftwareAdapter(gpu.adapter) : forced === 'webgl' ? isSoftwareRenderer(renderer) : false;
    const cand: CandidateReport = { name: forced, ok: true, software };
    const note = software ? `; it is ${forced === 'webgpu' ? 'a software adapter' : 'software-rendered'}` : '';
    const choice: BackendChoice = { name: tf.getBackend(), reason: `forced by ?backend=${forced}${note}`, candidates: [cand], ranking: [forced], forced: true, startupMs: performance.now() - t0, ...extra };
    log(backendLabel(choice));
    return choice;
  }

  // Probe order: hardware GPUs first (a real GPU should win), then wasm and cpu, then
  // software GPUs if budget is left (their first step compiles many shaders slowly).
  const reports = new Map<BackendName, CandidateReport>();
  const order: BackendName[] = [];
  for (const n of BACKEND_PREFERENCE) {
    if (!names.includes(n)) continue;
    const r: CandidateReport = { name: n, ok: false };
    if (n === 'webgpu') {
      if (!gpu.adapter) r.note = gpu.note ?? 'no adapter';
      else {
        r.software = isSoftwareAdapter(gpu.adapter);
        r.note = [gpu.adapter.vendor, gpu.adapter.architecture, gpu.adapter.isFallbackAdapter ? 'fallback adapter' : undefined].filter(Boolean).join(' / ');
      }
    } else if (n === 'webgl') {
      if (renderer === undefined) r.note = 'no WebGL context';
      else {
        r.software = isSoftwareRenderer(renderer);
        r.note = renderer;
      }
    }
    reports.set(n, r);
    order.push(n);
  }
  const probeOrder = [...order.filter((n) => !reports.get(n)?.software && (n === 'webgpu' || n === 'webgl')), ...order.filter((n) => n === 'wasm' || n === 'cpu'), ...order.filter((n) => reports.get(n)?.software)];
  const deadline = t0 + budget;
  for (const n of probeOrder) {
    const r = reports.get(n) as CandidateReport;
    if ((n === 'webgpu' && !gpu.adapter) || (n === 'webgl' && renderer === undefined)) continue;
    const software = r.software === true;
    if (software && opts.measureSoftware !== true) {
      r.ok = true; // Presumed; ranked as unmeasured (software last).
      r.note = `${r.note ? `${r.note}; ` : ''}not measured (software)`;
      continue;
    }
    const left = deadline - performance.now();
    // A software GPU's warm-up step alone takes seconds; only try it with a fair share left.
    if (left <= 0 || (software && left < 0.4 * budget)) {
      r.ok = true; // Presumed; ranked as unmeasured (software last).
      r.note = `${r.note ? `${r.note}; ` : ''}not measured (start-up budget spent)`;
      continue;
    }
    const err = await trySetBackend(n);
    if (err !== undefined) {
      r.ok = false;
      r.note = `${r.note ? `${r.note}; ` : ''}${err}`;
      log(`backend ${n}: ${err}`);
      continue;
    }
    r.ok = true;
    try {
      // Share what is left between the candidates still to measure.
      const rest = probeOrder.length - probeOrder.indexOf(n);
      const m = await measureActiveBackend(steps, performance.now() + Math.max(50, (deadline - performance.now()) / rest));
      r.msPerStep = m.msPerStep;
      if (m.timed === 0) {
        r.warmupOnly = true;
        r.note = `${r.note ? `${r.note}; ` : ''}warm-up step only`;
      }
      log(`backend ${n}: ${m.msPerStep.toFixed(2)} ms/step (warm-up ${m.warmupMs.toFixed(0)} ms, ${m.timed} timed)`);
    } catch (e) {
      r.ok = false;
      r.note = `${r.note ? `${r.note}; ` : ''}training failed: ${errText(e)}`;
      log(`backend ${n}: training failed: ${errText(e)}`);
    }
  }
  const candidates = order.map((n) => reports.get(n) as CandidateReport);
  const ranked = rankCandidates(candidates);
  let chosen: CandidateReport | undefined;
  for (const c of ranked) {
    const err = await trySetBackend(c.name);
    if (err === undefined) {
      chosen = c;
      break;
    }
    c.ok = false;
    c.note = `${c.note ? `${c.note}; ` : ''}${err}`;
  }
  if (!chosen) throw new BackendUnavailableError(`no tfjs backend initialised: ${candidates.map((c) => `${c.name}: ${c.note ?? 'failed'}`).join('; ')}`);
  const choice: BackendChoice = {
    name: tf.getBackend(),
    reason: explainChoice(chosen, candidates, gpu.adapter),
    candidates,
    ranking: rankCandidates(candidates).map((c) => c.name),
    forced: false,
    startupMs: performance.now() - t0,
    ...extra,
  };
  log(backendLabel(choice));
  return choice;
}

/** The GPUDevice of the active tfjs backend, if it is webgpu. */
export function activeGpuDevice(): GPUDevice | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  const be = tf.backend() as unknown as { device?: GPUDevice };
  return be.device;
}

/**
 * The chosen backend plus its watch: when a WebGPU device is lost the controller switches
 * to the next backend of the ranking (wasm, cpu, …) and tells `onFallback`.
 */
export class BackendController {
  private gen = 0;
  private lossWaiters: ((ev: FallbackEvent) => void)[] = [];
  private readonly listeners = new Set<(ev: FallbackEvent) => void>();
  private switching: Promise<void> = Promise.resolve();
  private readonly lost = new Set<string>();
  private disposing = false;
  private current: string;
  private why: string;
  /** The last fallback, if any. */
  lastFallback: FallbackEvent | undefined;

  /** Use {@link chooseBackend} or {@link BackendController.start}. */
  constructor(
    readonly choice: BackendChoice,
    private readonly log: (msg: string) => void = () => undefined,
  ) {
    this.current = choice.name;
    this.why = choice.reason;
    this.watch();
  }

  /** {@link chooseBackend}, returning the controller that watches the chosen backend. */
  static async start(opts: ChooseOptions = {}): Promise<BackendController> {
    await chooseBackend(opts);
    return active as BackendController;
  }

  /** The active backend's name. */
  get name(): string {
    return this.current;
  }

  /** Why the active backend is active (the choice's reason, or the fallback's). */
  get reason(): string {
    return this.why;
  }

  /** Registers a fallback listener; returns its removal. */
  onFallback(cb: (ev: FallbackEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Incremented at every fallback. */
  get generation(): number {
    return this.gen;
  }

  /** Resolves once a fallback in progress has finished. */
  settled(): Promise<void> {
    return this.switching;
  }

  /** Resolves with the event when the current backend is lost. */
  nextLoss(): Promise<FallbackEvent> {
    return new Promise((resolve) => this.lossWaiters.push(resolve));
  }

  /** Test hook: destroys the WebGPU device as if the GPU process had crashed. */
  simulateDeviceLoss(): boolean {
    const device = activeGpuDevice();
    if (!device) return false;
    device.destroy();
    return true;
  }

  private watch(): void {
    const device = activeGpuDevice();
    if (!device) return;
    const gen = this.gen;
    void device.lost.then((info) => {
      if (this.disposing || gen !== this.gen) return;
      this.switching = this.fallBack(`${info.reason}${info.message ? `: ${info.message}` : ''}`);
    });
  }

  private async fallBack(message: string): Promise<void> {
    const from = this.current;
    this.lost.add(from);
    this.gen++;
    this.log(`backend ${from} lost (${message}); falling back`);
    try {
      tf.removeBackend(from);
    } catch {
      // Already unusable; nothing to free.
    }
    let to: string | undefined;
    const order = [...this.choice.ranking, ...BACKEND_PREFERENCE.filter((n) => n !== 'webgpu' && n !== 'webgl')];
    for (const n of order) {
      if (this.lost.has(n) || n === from) continue;
      if ((await trySetBackend(n)) === undefined) {
        to = n;
        break;
      }
    }
    if (to) {
      this.current = to;
      this.why = `${from} was lost (${message}); fell back to ${to}`;
    }
    const ev: FallbackEvent = { from, to, message };
    this.lastFallback = ev;
    this.log(to ? `now on backend ${to}` : 'no backend left');
    const waiters = this.lossWaiters;
    this.lossWaiters = [];
    for (const w of waiters) w(ev);
    for (const l of this.listeners) {
      try {
        l(ev);
      } catch {
        // A listener's failure must not stop the fallback.
      }
    }
    this.watch();
  }

  dispose(): void {
    this.disposing = true;
  }
}

class StaleAttempt extends Error {}

export interface BrowserTrainerOptions {
  /** Default: the controller of the last {@link chooseBackend} (one is created if none). */
  controller?: BackendController;
  /** Told the new backend and why after a fallback. */
  onBackendChange?: (name: string, reason: string) => void;
  /** Base seed of the mini-batch shuffling (plus the round number). */
  seed?: number;
  scaling?: ScalingSpec;
}

/**
 * LocalTrainer on the controller's backend (the same training as MlTrainer: `localUpdate`,
 * one model object reused across rounds). A call interrupted by a device loss is retried
 * once, from the same global weights, on the fallback backend with a fresh model.
 */
export class BrowserTrainer implements LocalTrainer {
  private readonly models = new ModelCache();
  private readonly backend: BackendController;
  private readonly seed: number;
  private readonly scaling: ScalingSpec;
  private readonly unsubscribe: (() => void) | undefined;

  constructor(
    private readonly data: Dataset,
    opts: BrowserTrainerOptions | BackendController = {},
  ) {
    const o: BrowserTrainerOptions = opts instanceof BackendController ? { controller: opts } : opts;
    this.backend = o.controller ?? active ?? (active = new BackendController({ name: tf.getBackend(), reason: 'active tfjs backend (no choice made)', candidates: [], ranking: [tf.getBackend()], forced: false, startupMs: 0 }));
    this.seed = o.seed ?? 0;
    this.scaling = o.scaling ?? DEFAULT_SCALING;
    const cb = o.onBackendChange;
    this.unsubscribe = cb ? this.backend.onFallback(() => cb(this.backend.name, this.backend.reason)) : undefined;
  }

  private async attempt(input: TrainInput, progress: (fraction: number, detail?: string) => void): Promise<TrainOutput> {
    await this.backend.settled();
    const gen = this.backend.generation;
    const arch = parseArchitecture(input.architecture);
    const loss = this.backend.nextLoss().then((ev) => {
      throw new BackendLostError(ev);
    });
    const run = localUpdate(input.weights, this.data, {
      arch,
      scaling: this.scaling,
      model: this.models.get(arch, this.backend.generation),
      epochs: input.epochs,
      batchSize: input.batchSize,
      learningRate: input.learningRate,
      seed: this.seed + input.round,
      onProgress: (p) => {
        // Stops an abandoned attempt at its next batch once the backend has changed.
        if (this.backend.generation !== gen) throw new StaleAttempt();
        if (p.kind === 'epoch') progress((p.epoch + 1) / p.epochs, `epoch ${p.epoch + 1}/${p.epochs}, loss ${p.loss.toFixed(4)} (${this.backend.name})`);
      },
    });
    run.catch(() => undefined);
    loss.catch(() => undefined);
    try {
      const out = await Promise.race([run, loss]);
      return { delta: out.delta, numSamples: out.numSamples, loss: out.trainLoss };
    } catch (e) {
      if (this.backend.generation !== gen && !(e instanceof BackendLostError)) {
        // The training op failed on the lost device before the loss was reported to us.
        await this.backend.settled();
        throw new BackendLostError(this.backend.lastFallback ?? { from: 'previous backend', to: this.backend.name, message: errText(e) });
      }
      throw e;
    }
  }

  async train(input: TrainInput, progress: (fraction: number, detail?: string) => void): Promise<TrainOutput> {
    try {
      return await this.attempt(input, progress);
    } catch (e) {
      if (!(e instanceof BackendLostError) || e.event.to === undefined) throw e;
      progress(0, `backend ${e.event.from} lost; retrying on ${e.event.to}`);
      return await this.attempt(input, progress);
    }
  }

  dispose(): void {
    this.unsubscribe?.();
    this.models.dispose();
  }
}
