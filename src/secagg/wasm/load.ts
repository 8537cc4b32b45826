/**
 * Loading the wasm engine (docs/protocol.md §6.1): the SIMD probe, the generated binary
 * (arith-binary.js, built by scripts/build-wasm.ts) and the typed reason when it cannot run.
 * The same code runs in Node, the page and the crypto worker: the binary is an ES module
 * (base64), so no bundler asset or fetch is involved; compiling it needs CSP
 * `script-src 'wasm-unsafe-eval'`.
 */
import type { ArithEngine, FallbackReason } from '../engine-types.js';
import { WasmEngine } from './engine-wasm.js';
import type { Kernels } from './kernels.js';

/** A module with one v128 instruction (i8x16.splat, i8x16.popcnt): valid only where SIMD is. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export interface WasmLoadOptions {
  /** false: treat WebAssembly SIMD as unavailable (the browser's `?simd=off`). */
  readonly simd?: boolean;
}

function decodeBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The wasm engine, or the typed reason it cannot run here. Never throws. */
export async function loadWasmEngine(
  opts: WasmLoadOptions = {},
): Promise<{ engine: ArithEngine } | { reason: FallbackReason }> {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function')
    return { reason: { code: 'NO_WEBASSEMBLY', message: 'this runtime has no WebAssembly' } };
  if (opts.simd === false || !WebAssembly.validate(SIMD_PROBE))
    return {
      reason: {
        code: 'NO_SIMD',
        message:
          opts.simd === false
            ? 'WebAssembly SIMD is disabled here (simd=off)'
            : 'this runtime has WebAssembly without 128-bit SIMD',
      },
    };
  let b64: string;
  try {
    b64 = (await import('./arith-binary.js')).WASM_BASE64;
  } catch {
    return { reason: { code: 'NOT_BUILT', message: 'the module was not built (tsx scripts/build-wasm.ts)' } };
  }
  try {
    const module = await WebAssembly.compile(decodeBase64(b64) as Uint8Array<ArrayBuffer>);
    const instance = await WebAssembly.instantiate(module);
    return { engine: new WasmEngine(module, instance.exports as unknown as Kernels) };
  } catch (e) {
    return { reason: { code: 'LOAD_FAILED', message: `the module did not load: ${String(e)}` } };
  }
}
