/**
 * Types of arith-binary.js, which scripts/build-wasm.ts generates from arith.as.ts (it is not
 * checked in: a clean checkout builds it before tests and builds, docs/protocol.md "The wasm
 * engine").
 */
/** SHA-256 of (asc version, flags, source): the build is skipped while it matches. */
export declare const SOURCE_KEY: string;
/** SHA-256 of the binary, hex. */
export declare const WASM_SHA256: string;
/** The module's bytes, base64. */
export declare const WASM_BASE64: string;
