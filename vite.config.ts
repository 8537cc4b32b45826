import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { buildWasm } from './scripts/build-wasm.js';

// The web app: index.html (participant), dashboard.html (observers) and the browser
// benchmark page (bench/browser/index.html). Built into dist/, served by the aggregation server.
// Test configuration lives in vitest.config.ts.
const pages: Record<string, string> = { app: resolve(import.meta.dirname, 'index.html') };
for (const [name, file] of [
  ['dashboard', 'dashboard.html'],
  ['bench', 'bench/browser/index.html'],
] as const) {
  const path = resolve(import.meta.dirname, file);
  // Pages are added as they come to exist.
  if (await import('node:fs').then((fs) => fs.existsSync(path))) pages[name] = path;
}

export default defineConfig({
  // The wasm engine's module (src/secagg/wasm/arith-binary.js) is generated, not checked in:
  // every build and dev server makes it first if it is missing or stale.
  plugins: [{ name: 'speakonce-wasm-engine', buildStart: () => buildWasm().then(() => undefined) }],
  build: {
    target: 'es2022',
    // Vite 8's default minifier breaks tfjs-wasm's threaded worker (environment.md).
    minify: 'esbuild',
    rollupOptions: { input: pages },
    chunkSizeWarningLimit: 4096,
  },
  // Error classes name themselves from their constructor (src/base/error.ts): keep class names.
  esbuild: { keepNames: true },
  worker: { format: 'es' },
  server: { port: 5173 },
});
