/**
 * The crypto Web Worker (an ES module worker). The app creates it with
 *   new Worker(new URL('../../workers/crypto.worker.ts', import.meta.url), { type: 'module' })
 * and talks to it through src/client/worker-crypto.ts. Everything it does is in crypto-api.ts.
 */
import { expose } from 'comlink';
import { cryptoApi } from './crypto-api.js';

expose(cryptoApi);
