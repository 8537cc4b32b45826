/**
 * The enrollment authority's HTTP API (docs/protocol.md §23), JSON with hex-encoded bytes:
 *
 *   GET  /v1/authority  → AuthorityInfo: the federation, the signing key to pin (and retired
 *                         ones still accepted), the X25519 enrollment key.
 *   POST /v1/enroll     EnrollRequest → { certificate }: the participant's certificate.
 *
 * Errors are { error: { code, message } } with a 4xx status.
 */
import * as v from 'valibot';
import type { Certificate } from '../cert/certificate.js';
import type { SignedCommittee } from '../cert/committee.js';
import type { ServerCertificate } from '../cert/server.js';
import { fromHex, toHex as hex } from '../secagg/index.js';

const hexBytes = (n: number) =>
  v.pipe(
    v.string(),
    v.regex(new RegExp(`^[0-9a-f]{${2 * n}}$`), `must be ${n} bytes as lowercase hex`),
    v.transform((s): Uint8Array => fromHex(s)),
  );
const uint = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const roles = v.pipe(v.array(v.picklist(['trainer', 'member'])), v.minLength(1), v.maxLength(2));

/** Bytes as lowercase hex and back: the core's helpers (src/secagg/encoding.ts). */
export { toHex as hex, fromHex as unhex } from '../secagg/index.js';

export const AuthorityInfoSchema = v.strictObject({
  federation: v.string(),
  publicKey: hexBytes(32),
  enrollKey: hexBytes(32),
  retired: v.array(v.strictObject({ publicKey: hexBytes(32), acceptUntil: uint })),
});
export type AuthorityInfo = v.InferOutput<typeof AuthorityInfoSchema>;

export const EnrollRequestSchema = v.strictObject({
  federation: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
  token: v.pipe(v.string(), v.maxLength(256)),
  participantId: v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,128}$/)),
  sealKey: hexBytes(32),
  signKey: hexBytes(32),
  roles,
  /** Ed25519 signature by signKey of the request's canonical bytes (src/cert/statements.ts). */
  signature: hexBytes(64),
  /** Proof of possession of the sealing key (src/secagg/identity.ts enrollProof). */
  proof: hexBytes(32),
});
export type EnrollRequest = v.InferOutput<typeof EnrollRequestSchema>;
export type EnrollRequestJson = v.InferInput<typeof EnrollRequestSchema>;

export const CertificateJsonSchema = v.strictObject({
  body: v.strictObject({
    federation: v.string(),
    participantId: v.string(),
    sealKey: hexBytes(32),
    signKey: hexBytes(32),
    roles,
    notBefore: uint,
    notAfter: uint,
    authority: hexBytes(32),
  }),
  signature: hexBytes(64),
});

export function certificateToJson(c: Certificate): v.InferInput<typeof CertificateJsonSchema> {
  const b = c.body;
  return {
    body: {
      federation: b.federation,
      participantId: b.participantId,
      sealKey: hex(b.sealKey),
      signKey: hex(b.signKey),
      roles: [...b.roles],
      notBefore: b.notBefore,
      notAfter: b.notAfter,
      authority: hex(b.authority),
    },
    signature: hex(c.signature),
  };
}

/** POST /v1/present: a volunteer's signed presence (src/cert/committee.ts presenceBytes). */
export const PresenceRequestSchema = v.strictObject({
  certificate: CertificateJsonSchema,
  time: uint,
  signature: hexBytes(64),
});
export type PresenceRequestJson = v.InferInput<typeof PresenceRequestSchema>;

/** POST /v1/committee: the committee for a scheme; `fresh` asks for a new draw (rate-limited). */
export const CommitteeRequestSchema = v.strictObject({
  federation: v.string(),
  m: v.pipe(uint, v.minValue(1), v.maxValue(4096)),
  tRec: v.pipe(uint, v.minValue(1), v.maxValue(4096)),
  rho: v.pipe(uint, v.minValue(1), v.maxValue(4096)),
  fresh: v.optional(v.boolean()),
});

export const SignedCommitteeJsonSchema = v.strictObject({
  body: v.strictObject({
    federation: v.string(),
    epoch: uint,
    notBefore: uint,
    notAfter: uint,
    m: uint,
    tRec: uint,
    rho: uint,
    members: v.array(v.strictObject({ participantId: v.string(), sealKey: hexBytes(32) })),
    pool: uint,
    authority: hexBytes(32),
  }),
  signature: hexBytes(64),
});

export function committeeToJson(c: SignedCommittee): v.InferInput<typeof SignedCommitteeJsonSchema> {
  const b = c.body;
  return {
    body: {
      ...b,
      members: b.members.map((x) => ({ participantId: x.participantId, sealKey: hex(x.sealKey) })),
      authority: hex(b.authority),
    },
    signature: hex(c.signature),
  };
}

export const CommitteeResponseSchema = v.strictObject({ committee: SignedCommitteeJsonSchema });

export const EnrollResponseSchema = v.strictObject({ certificate: CertificateJsonSchema });

export const AuthorityErrorSchema = v.strictObject({
  error: v.strictObject({ code: v.string(), message: v.string() }),
});

/**
 * The server's certificate as a file (docs/protocol.md §26): what `npm run authority --
 * --certify-server` writes and `npm run server -- --server-cert` reads.
 */
export const ServerCertificateJsonSchema = v.strictObject({
  body: v.strictObject({
    federation: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
    signKey: hexBytes(32),
    notBefore: uint,
    notAfter: uint,
    authority: hexBytes(32),
  }),
  signature: hexBytes(64),
});

export function serverCertificateToJson(c: ServerCertificate): v.InferInput<typeof ServerCertificateJsonSchema> {
  const b = c.body;
  return {
    body: {
      federation: b.federation,
      signKey: hex(b.signKey),
      notBefore: b.notBefore,
      notAfter: b.notAfter,
      authority: hex(b.authority),
    },
    signature: hex(c.signature),
  };
}
