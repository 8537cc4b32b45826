/**
 * SpeakOnce secure-aggregation core: pure TypeScript, no DOM, no sockets. Runs unchanged in a
 * Web Worker, a page and Node. The scheme is specified in docs/protocol.md.
 */
export * from './errors.js';
export * from './field.js';
export { N, NttPlan, PLANS, negacyclicSchoolbook } from './ntt.js';
export * from './encoding.js';
export {
  KeyStream,
  activeBackends,
  importX25519Secret,
  isCryptoKey,
  sha256Async,
  useBackend,
  x25519PublicKey,
  type Backend,
  type X25519Secret,
} from './primitives.js';
export * from './random.js';
export { CBD_BYTES, ETA, cbdFromBytes } from './cbd.js';
export * from './mask.js';
export {
  EngineUnavailableError,
  engine,
  engineReady,
  engineStatus,
  reloadEngine,
  useEngine,
  type Accumulator,
  type ArithEngine,
  type EngineName,
  type EngineStatus,
  type FallbackCode,
  type FallbackReason,
} from './engine.js';
export * from './shamir.js';
export * from './committee.js';
export {
  DEFAULT_PROFILE,
  MAX_LENGTH,
  PROTOCOL_VERSION,
  checkBudget,
  maxQuantized,
  validateRoundConfig,
  type Profile,
  type RoundConfig,
} from './params.js';
export * from './quantize.js';
export * from './seal.js';
export * from './packing.js';
export * from './complaint.js';
export * from './transcript.js';
export * from './trainer.js';
export * from './member.js';
export * from './aggregator.js';
export * from './identity.js';
