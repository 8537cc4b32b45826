/**
 * The enrollment authority's key file (docs/protocol.md §23): an Ed25519 signing key (certificates
 * and committee lists) and an X25519 enrollment key (proofs of possession of sealing keys), never
 * shown to the aggregation server. Rotation keeps retired public keys, each accepted until the
 * last certificate it signed expires, so clients and servers pin the current and those keys.
 *
 *   { "version": 1,
 *     "current": { "sign": { "secretKey": hex, "publicKey": hex }, "enroll": { ... }, "createdAt": ms },
 *     "retired": [ { "publicKey": hex, "acceptUntil": ms } ] }
 *
 * The file is written with mode 0600 through a temporary file and a rename.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as v from 'valibot';
import { CodedError } from '../base/error.js';
import { createSigningKey } from '../cert/sign.js';
import { createIdentity, fromHex, toHex } from '../secagg/index.js';

export type AuthorityErrorCode =
  | 'UNREADABLE_KEY_FILE'
  | 'WRONG_FEDERATION'
  | 'UNAUTHENTICATED'
  | 'BAD_ENROLLMENT'
  | 'MALFORMED'
  | 'RATE_LIMITED'
  | 'TOO_FEW_VOLUNTEERS'
  /** A request body over the limit (limits.ts). */
  | 'TOO_LARGE'
  /** A request body not received in time (limits.ts). */
  | 'TIMEOUT'
  /** Too many refused requests from one address within the window (limits.ts). */
  | 'ERROR_BUDGET';

export class AuthorityError extends CodedError<AuthorityErrorCode> {}

const hex = (n: number) => v.pipe(v.string(), v.regex(new RegExp(`^[0-9a-f]{${2 * n}}$`)));
const pair = v.strictObject({ secretKey: hex(32), publicKey: hex(32) });
const KeyFileSchema = v.strictObject({
  version: v.literal(1),
  current: v.strictObject({ sign: pair, enroll: pair, createdAt: v.number() }),
  retired: v.array(v.strictObject({ publicKey: hex(32), acceptUntil: v.number() })),
});
type KeyFile = v.InferOutput<typeof KeyFileSchema>;

export interface AuthorityKeys {
  readonly signSecret: Uint8Array;
  readonly signPublic: Uint8Array;
  readonly enrollSecret: Uint8Array;
  readonly enrollPublic: Uint8Array;
  /** Retired signing keys still accepted, with the time after which they are not. */
  readonly retired: readonly { publicKey: Uint8Array; acceptUntil: number }[];
}

export { fromHex, toHex } from '../secagg/index.js';

function fresh(now: number): KeyFile['current'] {
  const s = createSigningKey();
  const e = createIdentity();
  return {
    sign: { secretKey: toHex(s.secretKey), publicKey: toHex(s.publicKey) },
    enroll: { secretKey: toHex(e.secretKey), publicKey: toHex(e.publicKey) },
    createdAt: now,
  };
}

function toKeys(f: KeyFile, now: number): AuthorityKeys {
  return {
    signSecret: fromHex(f.current.sign.secretKey),
    signPublic: fromHex(f.current.sign.publicKey),
    enrollSecret: fromHex(f.current.enroll.secretKey),
    enrollPublic: fromHex(f.current.enroll.publicKey),
    retired: f.retired.filter((r) => r.acceptUntil > now).map((r) => ({ ...r, publicKey: fromHex(r.publicKey) })),
  };
}

function write(path: string, f: KeyFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(f, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

function read(path: string): KeyFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new AuthorityError('UNREADABLE_KEY_FILE', `cannot read authority key file ${path}: ${String(e)}`);
  }
  const r = v.safeParse(KeyFileSchema, raw);
  if (!r.success)
    throw new AuthorityError('UNREADABLE_KEY_FILE', `authority key file ${path} is malformed: ${r.issues[0].message}`);
  return r.output;
}

/** Loads the key file, creating it with fresh keys when it does not exist. */
export function loadOrCreateKeys(path: string, now = Date.now()): AuthorityKeys {
  if (!existsSync(path)) write(path, { version: 1, current: fresh(now), retired: [] });
  return toKeys(read(path), now);
}

/**
 * Rolls the authority's keys: fresh current keys; the old signing key stays accepted until
 * `acceptUntil` (the expiry of the last certificate it issued), then is refused everywhere.
 */
export function rotateKeys(path: string, acceptUntil: number, now = Date.now()): AuthorityKeys {
  const f = read(path);
  const retired = [
    ...f.retired.filter((r) => r.acceptUntil > now),
    { publicKey: f.current.sign.publicKey, acceptUntil },
  ];
  const next: KeyFile = { ...f, current: fresh(now), retired };
  write(path, next);
  return toKeys(next, now);
}

/** Fresh keys held only in memory (tests, the simulator, the benchmark). */
export function memoryKeys(): AuthorityKeys {
  return toKeys({ version: 1, current: fresh(Date.now()), retired: [] }, Date.now());
}
