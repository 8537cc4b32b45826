/**
 * The crypto Web Worker's entry (an ES module worker). The app (src/ui/session.ts) creates it with
 *   new Worker(new URL('../client/crypto/crypto.worker.ts', import.meta.url), { type: 'module' })
 * which Vite bundles as a worker from that pattern, and talks to it through worker-crypto.ts.
 * Everything it does is in worker-api.ts.
 */
import { expose } from 'comlink';
import { cryptoApi } from './worker-api.js';

expose(cryptoApi);
