/**
 * Browser only: what a backend candidate is and how fast it trains here. The WebGPU adapter's
 * self-description, the WebGL renderer string (both tell hardware from software rendering),
 * and the ms per training step of the project's MLP on the active backend.
 */
import { buildModel, mlpArchitecture } from '../../ml/model.js';
import { DEFAULT_SCALING, numInputs } from '../../ml/scaling.js';
import { trainModel } from '../../ml/train.js';
import { errText } from './activate.js';
import type { AdapterSummary } from './rank.js';

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}

interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<unknown>;
}

/** The WebGPU adapter's self-description, or why there is none. */
export async function probeWebGpu(timeoutMs = 1500): Promise<{ adapter?: AdapterSummary; note?: string }> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return { note: 'navigator.gpu is missing (WebGPU not enabled in this browser)' };
  try {
    const adapter = (await withTimeout(
      gpu.requestAdapter({ powerPreference: 'high-performance' }),
      timeoutMs,
      'requestAdapter',
    )) as
      | (Record<string, unknown> & {
          info?: Record<string, unknown>;
          isFallbackAdapter?: boolean;
          requestAdapterInfo?: () => Promise<Record<string, unknown>>;
        })
      | null;
    if (!adapter) return { note: 'navigator.gpu.requestAdapter() returned null (no adapter)' };
    const info = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo() : {});
    const str = (k: string): string | undefined => (typeof info[k] === 'string' ? info[k] : undefined);
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
    const gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl');
    if (!gl) return undefined;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const r: unknown = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
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
export async function measureActiveBackend(
  steps: number,
  deadline: number,
): Promise<{ msPerStep: number; timed: number; warmupMs: number }> {
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
