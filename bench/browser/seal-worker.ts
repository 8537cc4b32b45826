/// <reference lib="webworker" />
/**
 * Bench-only module worker: runs the sealing measurement (seal-core.ts) off the page's main
 * thread, as the app's crypto worker will. Independent of src/client/crypto/ (the app's own worker).
 */
import { type SealPlan, runSealBench } from './seal-core.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = async (ev: MessageEvent<SealPlan>) => {
  try {
    scope.postMessage({ ok: true, result: await runSealBench(ev.data) });
  } catch (e) {
    scope.postMessage({ ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
};
