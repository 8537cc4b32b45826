/**
 * Browser only: picks the fastest tfjs backend that works here, with a reason the UI shows
 * ("backend: wasm — webgpu is a software adapter (SwiftShader), 14× slower here").
 *
 * Candidates: webgpu, webgl, wasm, cpu. Each one that initialises runs a few training steps
 * of the project's MLP on random data (after the warm-up steps, probe.ts); the ranking is the
 * pure function of rank.ts. A software WebGPU adapter (headless Chromium here offers
 * SwiftShader) is measured last and only if the start-up budget allows; unmeasured it ranks
 * below wasm and cpu. `?backend=NAME` (passed in as `backend`) forces one backend and fails
 * loudly if it cannot initialise. Watching the chosen backend is controller.ts's job.
 */
import * as tf from '@tensorflow/tfjs';
import { CodedError } from '../../base/error.js';
import { errText, trySetBackend } from './activate.js';
import { measureActiveBackend, probeWebGlRenderer, probeWebGpu } from './probe.js';
import {
  BACKEND_PREFERENCE,
  type BackendName,
  type CandidateReport,
  backendLabel,
  explainChoice,
  isSoftwareAdapter,
  isSoftwareRenderer,
  rankCandidates,
} from './rank.js';
import type { BackendChoice, ChooseOptions } from './types.js';

/** A forced backend (`?backend=NAME`) could not initialise, or no backend did. */
export class BackendUnavailableError extends CodedError<'BACKEND_UNAVAILABLE'> {
  /** Spelled out: the app's minifier renames classes, and CodedError would name it after its class. */
  override readonly name = 'BackendUnavailableError';
  constructor(message: string) {
    super('BACKEND_UNAVAILABLE', message);
  }
}

/**
 * Probes, measures and ranks the candidates and activates the best one (see the module
 * comment); {@link chooseBackend} (controller.ts) is this plus the watch for a device loss.
 */
export async function selectBackend(opts: ChooseOptions): Promise<BackendChoice> {
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
    if (err !== undefined)
      throw new BackendUnavailableError(
        `backend '${forced}' was requested (?backend=${forced}) but it is unavailable: ${err}`,
      );
    const software =
      forced === 'webgpu' ? isSoftwareAdapter(gpu.adapter) : forced === 'webgl' ? isSoftwareRenderer(renderer) : false;
    const cand: CandidateReport = { name: forced, ok: true, software };
    const note = software ? `; it is ${forced === 'webgpu' ? 'a software adapter' : 'software-rendered'}` : '';
    const choice: BackendChoice = {
      name: tf.getBackend(),
      reason: `forced by ?backend=${forced}${note}`,
      candidates: [cand],
      ranking: [forced],
      forced: true,
      startupMs: performance.now() - t0,
      ...extra,
    };
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
        r.note = [
          gpu.adapter.vendor,
          gpu.adapter.architecture,
          gpu.adapter.isFallbackAdapter ? 'fallback adapter' : undefined,
        ]
          .filter(Boolean)
          .join(' / ');
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
  const probeOrder = [
    ...order.filter((n) => !reports.get(n)?.software && (n === 'webgpu' || n === 'webgl')),
    ...order.filter((n) => n === 'wasm' || n === 'cpu'),
    ...order.filter((n) => reports.get(n)?.software),
  ];
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
      const m = await measureActiveBackend(
        steps,
        performance.now() + Math.max(50, (deadline - performance.now()) / rest),
      );
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
  if (!chosen)
    throw new BackendUnavailableError(
      `no tfjs backend initialised: ${candidates.map((c) => `${c.name}: ${c.note ?? 'failed'}`).join('; ')}`,
    );
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
