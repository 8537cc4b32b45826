/**
 * Browser only: activating a tfjs backend. Registers webgpu and wasm with tfjs (their imports),
 * points wasm at the .wasm files the app serves, and turns a failing `tf.setBackend` into a
 * reason instead of an exception.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

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

export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Activates backend `name`; undefined when it works, else why it does not. */
export async function trySetBackend(name: string): Promise<string | undefined> {
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

/** The GPUDevice of the active tfjs backend, if it is webgpu. */
export function activeGpuDevice(): GPUDevice | undefined {
  if (tf.getBackend() !== 'webgpu') return undefined;
  const be = tf.backend() as unknown as { device?: GPUDevice };
  return be.device;
}
