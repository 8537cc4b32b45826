/**
 * A round's transcript (docs/transcript.md): everything a third party needs to check the round
 * end to end with no secret — the descriptor signed by the server's certified key, the
 * certificates, every contribution's signed statement, S and H_S, every member's signed answer,
 * Σy, the decoded sum and the FedAvg step's inputs and result. Stored as one msgpack object
 * (binary fields as `bin`) per round in the data directory and served at GET /transcripts/<round>;
 * the masked vectors and sealed slices of the last K rounds sit beside it in a `.masked` file
 * that this object indexes. Validated with the schema below before anything is checked.
 */
import { decode, encode } from '@msgpack/msgpack';
import * as v from 'valibot';
import { CodedError } from '../base/error.js';
import { AttestationSchema, ExcludedSchema, RoundSchema, SignedComplaintSchema, SignedSlotSchema } from './messages.js';

export const TRANSCRIPT_SCHEMA = 'speakonce/transcript';
/** Bumped on any change of the format below; an auditor refuses versions it does not know. */
export const TRANSCRIPT_VERSION = 1;

const bytes = v.custom<Uint8Array>((x) => x instanceof Uint8Array, 'must be bytes');
const bytes32 = v.pipe(bytes, v.length(32));
const bytes64 = v.pipe(bytes, v.length(64));
const uint = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const finite = v.pipe(v.number(), v.finite());
const id = v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,128}$/));
const survivorList = v.array(v.strictObject({ id, digest: bytes32 }));

/** The server's certificate from the enrollment authority (src/cert/server.ts, docs/protocol.md §26). */
export const ServerCertificateSchema = v.strictObject({
  body: v.strictObject({
    federation: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
    signKey: bytes32,
    notBefore: uint,
    notAfter: uint,
    authority: bytes32,
  }),
  signature: bytes64,
});

/**
 * The `round` message every participant received, without what differs per participant (role,
 * member index, deadlines) and with the SHA-256 of the weights in place of the weights. Derived
 * from the message's own schema, so a field the descriptor gains is recorded (and covered by D).
 */
export const TranscriptDescriptorSchema = v.strictObject({
  ...v.omit(RoundSchema, ['t', 'role', 'memberIndex', 'submitBy', 'answerBy', 'weights']).entries,
  /** SHA-256 of the starting weights (float32 LE), which the descriptor digest covers. */
  weightsDigest: bytes32,
});
export type TranscriptDescriptor = v.InferOutput<typeof TranscriptDescriptorSchema>;

/** Where one contribution's bytes lie in the round's `.masked` file (y1, y2, then m sealed slices). */
export const MaskedRefSchema = v.strictObject({ offset: uint, y1: uint, y2: uint, sealed: v.array(uint) });
export type MaskedRef = v.InferOutput<typeof MaskedRefSchema>;

export const TranscriptContributionSchema = v.strictObject({
  id,
  eph: bytes32,
  /** The §13 contribution digest that H_S binds. */
  digest: bytes32,
  /** Its signed statement's data (certificate, signature, masked digest, slice digests, key commitments). */
  signed: v.optional(SignedSlotSchema),
  /** Its bytes in the `.masked` file while retained (the last K rounds). */
  at: v.optional(MaskedRefSchema),
});

export const TranscriptSchema = v.strictObject({
  schema: v.literal(TRANSCRIPT_SCHEMA),
  v: v.literal(TRANSCRIPT_VERSION),
  federation: v.pipe(v.string(), v.minLength(1)),
  round: uint,
  outcome: v.picklist(['ok', 'failed']),
  code: v.optional(v.string()),
  reason: v.optional(v.string()),
  startedAt: v.string(),
  endedAt: v.string(),
  /** The server's certificate (absent in an uncertified federation) and its signature over D. */
  server: v.strictObject({
    certificate: v.optional(ServerCertificateSchema),
    publicKey: bytes32,
    descriptorSig: bytes64,
  }),
  descriptor: TranscriptDescriptorSchema,
  descriptorDigest: bytes32,
  trainers: v.array(id),
  members: v.array(id),
  contributions: v.array(TranscriptContributionSchema),
  /** S at the cut-off and its H_S; then, after exclusions (§25), the final S and H_S. */
  cutoff: v.optional(v.strictObject({ survivors: survivorList, hS: bytes32 })),
  excluded: v.array(v.strictObject({ id, how: v.picklist(['proven', 'attested']) })),
  /**
   * Each re-issue of the job after complaints (§25), in order: the survivor list it replaced, the
   * evidence against each trainer left out, and the members' signed complaints.
   */
  reissues: v.optional(
    v.array(
      v.strictObject({
        previous: survivorList,
        excluded: v.array(ExcludedSchema),
        complaints: v.array(SignedComplaintSchema),
      }),
    ),
  ),
  survivors: survivorList,
  hS: v.optional(bytes32),
  /** Each accepted answer to the final job: its sum (u32 LE, 2P values) and the member's signature. */
  answers: v.array(v.strictObject({ memberIndex: uint, hS: bytes32, sum: bytes, sig: v.optional(bytes64) })),
  attestations: v.array(AttestationSchema),
  /** Σy over the final S, reduced mod q1 and mod q2 (u32 LE each). */
  sumY: v.optional(v.strictObject({ y1: bytes, y2: bytes })),
  /** The decoded sum Σx (float64 LE; exact integers). */
  decoded: v.optional(bytes),
  /** The FedAvg step: new = previous + mean of the decoded sum (src/server/model.ts applyDecodedSum). */
  fedavg: v.optional(
    v.strictObject({
      bits: uint,
      clip: finite,
      weightSum: finite,
      versionBefore: uint,
      versionAfter: uint,
      /** SHA-256 of the resulting weights (float32 LE, the checkpoint's weights.bin). */
      weightsAfter: bytes32,
    }),
  ),
  /** The round's `.masked` file: its size and SHA-256 when written (absent: no contributions kept). */
  masked: v.optional(v.strictObject({ bytes: uint, digest: bytes32 })),
});
export type Transcript = v.InferOutput<typeof TranscriptSchema>;

export class TranscriptError extends CodedError<'MALFORMED_TRANSCRIPT'> {}

export function encodeTranscript(t: Transcript): Uint8Array {
  return encode(t, { ignoreUndefined: true });
}

export function decodeTranscript(data: Uint8Array): Transcript {
  let raw: unknown;
  try {
    raw = decode(data);
  } catch (e) {
    throw new TranscriptError('MALFORMED_TRANSCRIPT', `not msgpack: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = v.safeParse(TranscriptSchema, raw);
  if (!r.success) {
    const i = r.issues[0];
    const where = i.path?.map((p) => String(p.key)).join('.') ?? '';
    throw new TranscriptError('MALFORMED_TRANSCRIPT', `${where ? `${where}: ` : ''}${i.message}`);
  }
  return r.output;
}

/** GET /transcripts: the rounds whose transcripts the server holds. */
export const TranscriptIndexSchema = v.strictObject({
  federation: v.string(),
  /** The authority key(s) the server pins, for an auditor that has none of its own (weaker: see docs). */
  authorityKeys: v.array(v.string()),
  rounds: v.array(v.strictObject({ round: uint, masked: v.boolean() })),
});
export type TranscriptIndex = v.InferOutput<typeof TranscriptIndexSchema>;
