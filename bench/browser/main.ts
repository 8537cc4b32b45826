/**
 * The browser benchmark page (bench/browser/index.html, built into dist/ by `vite build`).
 * bench/browser.ts drives it with Playwright through `window.speakonceBench`:
 *
 * - `train(plan)`: training throughput of the project's MLP on the same synthetic data on
 *   one tfjs backend (cpu, wasm, webgl, webgpu), or why that backend is unavailable;
 * - `seal(plan)`: `buildContribution` of src/secagg at length L inside a module Web Worker;
 * - `choose()`: what src/client/backend/ would pick here, with its reason;
 * - `lossRecovery()`: WebGPU device loss during a training call → fallback and one retry.
 */
import * as tf from '@tensorflow/tfjs';
import { configureWasmPaths } from '../../src/client/backend/activate.js';
import { BackendController, chooseBackend } from '../../src/client/backend/controller.js';
import { probeWebGlRenderer, probeWebGpu } from '../../src/client/backend/probe.js';
import { backendLabel } from '../../src/client/backend/rank.js';
import type { BackendChoice } from '../../src/client/backend/types.js';
import { BrowserTrainer } from '../../src/client/trainers/browser-trainer.js';
import { flattenWeights } from '../../src/ml/weights.js';
import { buildModel, mlpArchitecture } from '../../src/ml/model.js';
import { DEFAULT_SCALING, numInputs, transformFeatures } from '../../src/ml/scaling.js';
import { generateSynthetic } from '../../src/ml/synthetic.js';
import { trainModel } from '../../src/ml/train.js';
import type { TrainInput } from '../../src/client/trainers/types.js';
import type { SealPlan, SealResult } from './seal-core.js';

export interface TrainPlan {
  backend: string;
  rows: number;
  warmupEpochs: number;
  epochs: number;
  batchSize: number;
}

export interface TrainResult {
  backend: string;
  ok: boolean;
  note?: string;
  initMs?: number;
  /** Wall time of each timed epoch. */
  msPerEpoch?: number[];
  median_ms?: number;
  samples_per_s?: number;
  finalLoss?: number;
}

/** What `info()` reports about the browser. */
export interface PageInfo {
  userAgent: string;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  registered: string[];
  webgpu: Awaited<ReturnType<typeof probeWebGpu>>;
  webglRenderer: string | null;
}

/** What `lossRecovery()` reports: skipped (no WebGPU), recovered, or failed. */
export interface LossRecoveryResult {
  ok: boolean;
  skipped?: boolean;
  note?: string;
  destroyed?: boolean;
  backendAfter?: string;
  ms?: number;
  loss?: number;
  error?: string;
  events?: unknown[];
  progress?: string[];
  log?: string[];
}

/** The seal worker's reply (seal-worker.ts). */
interface SealReply {
  ok: boolean;
  result?: SealResult;
  error?: string;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function info(): Promise<PageInfo> {
  const gpu = await probeWebGpu();
  return {
    userAgent: navigator.userAgent,
    crossOriginIsolated: globalThis.crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    registered: Object.keys(tf.engine().registryFactory),
    webgpu: gpu,
    webglRenderer: probeWebGlRenderer() ?? null,
  };
}

async function train(plan: TrainPlan): Promise<TrainResult> {
  const { backend } = plan;
  if (!tf.findBackendFactory(backend)) return { backend, ok: false, note: 'not registered in this build' };
  if (backend === 'webgpu') {
    const gpu = await probeWebGpu();
    if (!gpu.adapter) return { backend, ok: false, note: gpu.note ?? 'no adapter' };
  }
  if (backend === 'webgl' && probeWebGlRenderer() === undefined)
    return { backend, ok: false, note: 'no WebGL context' };
  if (backend === 'wasm') configureWasmPaths();
  const t0 = performance.now();
  try {
    if (!(await tf.setBackend(backend))) return { backend, ok: false, note: 'failed to initialise (see console)' };
    await tf.ready();
  } catch (e) {
    return { backend, ok: false, note: `failed to initialise: ${errText(e)}` };
  }
  const initMs = performance.now() - t0;
  const data = generateSynthetic({ rows: plan.rows, seed: 1 });
  const x = transformFeatures(data, DEFAULT_SCALING);
  const d = numInputs(DEFAULT_SCALING);
  const model = buildModel(mlpArchitecture(d), 0);
  const stamps: number[] = [performance.now()];
  try {
    const summary = await trainModel(model, x, data.labels, d, {
      epochs: plan.warmupEpochs + plan.epochs,
      batchSize: plan.batchSize,
      onProgress: (p) => {
        if (p.kind === 'epoch') stamps.push(performance.now());
      },
    });
    const times = stamps
      .slice(1)
      .map((t, i) => t - (stamps[i] as number))
      .slice(plan.warmupEpochs);
    const total = times.reduce((a, b) => a + b, 0);
    const sorted = [...times].sort((a, b) => a - b);
    return {
      backend: tf.getBackend(),
      ok: true,
      initMs,
      msPerEpoch: times,
      median_ms: sorted[sorted.length >> 1] as number,
      samples_per_s: (plan.rows * plan.epochs) / (total / 1000),
      finalLoss: summary.epochLosses.at(-1) as number,
    };
  } catch (e) {
    return { backend, ok: false, initMs, note: `training failed: ${errText(e)}` };
  } finally {
    model.dispose();
  }
}

async function seal(plan: SealPlan): Promise<SealResult & { worker_start_ms: number }> {
  const t0 = performance.now();
  const worker = new Worker(new URL('./seal-worker.ts', import.meta.url), { type: 'module' });
  try {
    const reply = await new Promise<SealReply>((resolve, reject) => {
      worker.onmessage = (ev: MessageEvent<SealReply>) => resolve(ev.data);
      worker.onerror = (ev) => reject(new Error(`seal worker error: ${ev.message}`));
      worker.postMessage(plan);
    });
    if (!reply.ok || !reply.result) throw new Error(reply.error ?? 'seal worker failed');
    const total = performance.now() - t0;
    const work = reply.result.samples.reduce((a, b) => a + b, 0);
    return { ...reply.result, worker_start_ms: Math.max(0, total - work) };
  } finally {
    worker.terminate();
  }
}

async function choose(
  opts: { budgetMs?: number; measureSoftware?: boolean } = {},
): Promise<BackendChoice & { label: string; log: string[] }> {
  const log: string[] = [];
  const choice = await chooseBackend({ ...opts, log: (m) => log.push(m) });
  return { ...choice, label: backendLabel(choice), log };
}

/**
 * Forces webgpu, starts a training call, destroys the GPUDevice during it and checks that
 * the BrowserTrainer finished on the fallback backend.
 */
async function lossRecovery(): Promise<LossRecoveryResult> {
  const log: string[] = [];
  const events: unknown[] = [];
  let controller: BackendController;
  try {
    controller = await BackendController.start({
      backend: 'webgpu',
      log: (m) => log.push(m),
      onFallback: (ev) => events.push(ev),
    });
  } catch (e) {
    return { ok: false, skipped: true, note: errText(e) };
  }
  const d = numInputs(DEFAULT_SCALING);
  const arch = mlpArchitecture(d);
  const init = buildModel(arch, 0);
  const weights = flattenWeights(init);
  init.dispose();
  const data = generateSynthetic({ rows: 2048, seed: 2 });
  const trainer = new BrowserTrainer(data, { controller, seed: 0 });
  const progress: string[] = [];
  const t0 = performance.now();
  let destroyed = false;
  try {
    const out = await trainer.train(
      { round: 1, weights, architecture: arch, epochs: 3, batchSize: 256, learningRate: 0.003 } satisfies TrainInput,
      (f, detail) => {
        progress.push(`${f.toFixed(2)} ${detail ?? ''}`);
        if (!destroyed && f > 0) destroyed = controller.simulateDeviceLoss();
      },
    );
    return {
      ok:
        destroyed &&
        controller.name !== 'webgpu' &&
        out.delta.length === weights.length &&
        Number.isFinite(out.loss ?? NaN),
      destroyed,
      backendAfter: controller.name,
      ms: performance.now() - t0,
      loss: out.loss,
      events,
      progress,
      log,
    };
  } catch (e) {
    return { ok: false, destroyed, backendAfter: controller.name, error: errText(e), events, progress, log };
  } finally {
    trainer.dispose();
    controller.dispose();
  }
}

const api = { info, train, seal, choose, lossRecovery, ready: true };
declare global {
  interface Window {
    speakonceBench?: typeof api;
  }
}
window.speakonceBench = api;

const status = document.getElementById('status');
const out = document.getElementById('out');
if (status) status.textContent = 'ready';
async function runAll(): Promise<void> {
  const show = (v: unknown): void => {
    if (out) out.textContent += `${JSON.stringify(v, null, 2)}\n`;
  };
  if (status) status.textContent = 'running…';
  show(await info());
  show(await choose());
  for (const backend of ['cpu', 'wasm', 'webgl', 'webgpu'])
    show(await train({ backend, rows: 2048, warmupEpochs: 1, epochs: 1, batchSize: 256 }));
  show(await seal({ L: 1e5, warmup: 1, runs: 3 }));
  if (status) status.textContent = 'done';
}
document.getElementById('run')?.addEventListener('click', () => {
  runAll().catch((e: unknown) => {
    if (status) status.textContent = `failed: ${errText(e)}`;
    console.error(e);
  });
});
