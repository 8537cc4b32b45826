/**
 * Ranking of tfjs backends from start-up measurements: pure logic (no tfjs, no DOM), so it
 * is unit-tested in Node. `choose.ts` gathers the measurements in the browser and calls
 * {@link rankCandidates} and {@link explainChoice}.
 *
 * Rules: only candidates that initialised count; measured candidates are ordered by their
 * ms per training step (ties and near-ties within {@link NEAR_TIE} keep the preference order
 * webgpu > webgl > wasm > cpu); candidates that initialised but could not be measured (the
 * start-up budget ran out) come after the measured ones in preference order, except that a
 * software GPU (WebGPU fallback adapter, SwiftShader, llvmpipe, lavapipe) goes last: here it
 * is an order of magnitude slower than wasm for this model.
 */

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Preference order when measurements do not decide. */
export const BACKEND_PREFERENCE: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** Two measurements within this factor count as a tie (decided by preference). */
export const NEAR_TIE = 1.05;

/** What the WebGPU adapter says about itself (GPUAdapterInfo and `isFallbackAdapter`). */
export interface AdapterSummary {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** One candidate backend after the start-up probe. */
export interface CandidateReport {
  name: string;
  /** The backend initialised (tf.setBackend succeeded). */
  ok: boolean;
  /** Median wall time of one training step (batch 256) after a warm-up step. */
  msPerStep?: number;
  /** Only the warm-up step fitted in the budget: `msPerStep` is that step (set-up included). */
  warmupOnly?: boolean;
  /** The backend runs on a software rasteriser / fallback adapter. */
  software?: boolean;
  /** Why it failed, was not measured, or what it runs on. */
  note?: string;
}

/** True for a WebGPU fallback adapter or a known software implementation. */
export function isSoftwareAdapter(a: AdapterSummary | undefined): boolean {
  if (!a) return false;
  if (a.isFallbackAdapter === true) return true;
  const text = `${a.vendor ?? ''} ${a.architecture ?? ''} ${a.device ?? ''} ${a.description ?? ''}`;
  return isSoftwareRenderer(text);
}

/** True when a WebGL renderer string (or adapter text) names a software implementation. */
export function isSoftwareRenderer(renderer: string | undefined): boolean {
  if (!renderer) return false;
  return /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render driver/i.test(renderer);
}

/** A short human name of a software implementation, e.g. "SwiftShader". */
export function softwareName(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const m = /swiftshader|llvmpipe|lavapipe|softpipe/i.exec(text);
  if (!m) return undefined;
  const s = m[0].toLowerCase();
  return s === 'swiftshader' ? 'SwiftShader' : s;
}

function preferenceIndex(name: string): number {
  const i = BACKEND_PREFERENCE.indexOf(name as BackendName);
  return i < 0 ? BACKEND_PREFERENCE.length : i;
}

/** The candidates that initialised, best first. Does not modify its input. */
export function rankCandidates(candidates: readonly CandidateReport[]): CandidateReport[] {
  const ok = candidates.filter((c) => c.ok);
  const measured = ok.filter((c) => typeof c.msPerStep === 'number' && Number.isFinite(c.msPerStep) && c.msPerStep > 0);
  const unmeasured = ok.filter((c) => !measured.includes(c));
  // Measured: by speed, but a near-tie goes to the preferred backend. Insertion keeps it stable.
  const byPref = [...measured].sort((a, b) => preferenceIndex(a.name) - preferenceIndex(b.name));
  const sortedMeasured: CandidateReport[] = [];
  for (const c of byPref) {
    const ms = c.msPerStep as number;
    let at = sortedMeasured.findIndex((d) => ms * NEAR_TIE < (d.msPerStep as number));
    if (at < 0) at = sortedMeasured.length;
    sortedMeasured.splice(at, 0, c);
  }
  const hw = unmeasured.filter((c) => !c.software).sort((a, b) => preferenceIndex(a.name) - preferenceIndex(b.name));
  const sw = unmeasured.filter((c) => c.software).sort((a, b) => preferenceIndex(a.name) - preferenceIndex(b.name));
  return [...sortedMeasured, ...hw, ...sw];
}

function fmtStep(ms: number): string {
  return ms >= 100 ? `${ms.toFixed(0)} ms/step` : ms >= 10 ? `${ms.toFixed(1)} ms/step` : `${ms.toFixed(2)} ms/step`;
}

function fmtFactor(f: number): string {
  return f >= 10 ? `${f.toFixed(0)}×` : `${f.toFixed(1)}×`;
}

/**
 * Why `chosen` won, phrased for the UI ("webgpu is a software adapter (SwiftShader), 14×
 * slower here"): one clause per candidate preferred over `chosen` that lost, then the
 * chosen backend's own measurement.
 */
export function explainChoice(
  chosen: CandidateReport,
  candidates: readonly CandidateReport[],
  adapter?: AdapterSummary,
): string {
  const parts: string[] = [];
  const chosenMs = chosen.msPerStep;
  for (const c of [...candidates].sort((a, b) => preferenceIndex(a.name) - preferenceIndex(b.name))) {
    if (c.name === chosen.name || preferenceIndex(c.name) > preferenceIndex(chosen.name)) continue;
    if (!c.ok) {
      parts.push(`${c.name} unavailable${c.note ? ` (${c.note})` : ''}`);
      continue;
    }
    const slower =
      typeof c.msPerStep === 'number' && typeof chosenMs === 'number' && chosenMs > 0
        ? c.msPerStep / chosenMs
        : undefined;
    const how =
      slower === undefined
        ? `ranked below ${chosen.name}`
        : c.warmupOnly
          ? `its first step took ${fmtStep(c.msPerStep as number).replace('/step', '')} here`
          : slower >= 1
            ? `${fmtFactor(slower)} slower here`
            : 'about as fast here';
    if (c.software) {
      const impl =
        c.name === 'webgpu'
          ? softwareName(
              `${adapter?.vendor ?? ''} ${adapter?.architecture ?? ''} ${adapter?.description ?? ''} ${c.note ?? ''}`,
            )
          : softwareName(c.note);
      const what = c.name === 'webgpu' ? 'a software adapter' : 'software-rendered';
      parts.push(`${c.name} is ${what}${impl ? ` (${impl})` : ''}, ${how}`);
    } else {
      parts.push(slower !== undefined ? `${c.name} ${how}` : `${c.name} not measured${c.note ? ` (${c.note})` : ''}`);
    }
  }
  if (parts.length === 0) {
    parts.push(typeof chosenMs === 'number' ? `fastest available (${fmtStep(chosenMs)})` : 'preferred backend');
  } else if (typeof chosenMs === 'number') {
    parts.push(`${chosen.name} ${fmtStep(chosenMs)}`);
  }
  return parts.join('; ');
}

/** "backend: wasm — webgpu is a software adapter (SwiftShader), 14× slower here". */
export function backendLabel(choice: { name: string; reason: string }): string {
  return `backend: ${choice.name} — ${choice.reason}`;
}
