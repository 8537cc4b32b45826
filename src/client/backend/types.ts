/**
 * The vocabulary of the backend room: how a choice is asked for, what it answers, and what a
 * fallback after a device loss reports. Types only.
 */
import type { AdapterSummary, BackendName, CandidateReport } from './rank.js';

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
