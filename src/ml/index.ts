/**
 * Public, environment-neutral API of the ML module (browser and Node). Node-only
 * helpers live in `csv-node.ts` and `checkpoint-node.ts`.
 */
export * from './errors';
export * from './dataset';
export * from './rng';
export * from './published-stats';
export * from './synthetic';
export * from './split';
export * from './partition';
export * from './csv';
export * from './scaling';
export * from './model';
export * from './weights';
export * from './losses';
export * from './train';
export * from './predict';
export * from './metrics';
export * from './stats';
export * from './federated';
export * from './pipeline';
export * from './checkpoint';
export * from './backend';
