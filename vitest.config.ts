import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Builds the wasm engine (src/secagg/wasm/) if it is missing or stale, before any test runs.
    globalSetup: ['scripts/build-wasm.ts'],
  },
});
