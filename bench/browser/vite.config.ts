import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Builds only the browser benchmark page, for `npm run bench -- --section browser` when the
// whole app (vite.config.ts) does not build. The output directory comes from the command line.
const root = resolve(import.meta.dirname, '../..');

export default defineConfig({
  root,
  build: {
    target: 'es2022',
    minify: 'esbuild',
    rollupOptions: { input: { bench: resolve(root, 'bench/browser/index.html') } },
    chunkSizeWarningLimit: 4096,
  },
  worker: { format: 'es' },
});
