import { defineConfig } from 'vite';

// The web app (issue 5 builds it out). Test configuration lives in vitest.config.ts.
export default defineConfig({
  build: { target: 'es2022', minify: 'esbuild' },
  worker: { format: 'es' },
});
