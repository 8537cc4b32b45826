/**
 * The wire protocol between participants and the aggregation server: typed unions whose
 * runtime schemas (valibot) are checked on arrival, before anything acts on a message.
 * Binary fields travel as raw bytes (msgpack `bin`); residue vectors as little-endian u32.
 *
 * Participant → server: join, contribution (trainers, once per round), answer (committee
 * members, once per round), leave. Server → participant: hello (the join challenge, first on
 * every connection), welcome, round (the descriptor, with this participant's role), job
 * (committee members), result, error.
 */
import * as v from 'valibot';
import { SecAggError, validateRoundConfig } from '../secagg/index.js';
import { DpDescriptorSchema } from './dp.js';

export const WIRE_VERSION = 1;

const bytes = v.custom<Uint8Array>((x) => x instanceof Uint8Array, 'must be bytes');
const bytes32 = v.pipe(bytes, v.length(32));
const uint = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const clientId = v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,128}$/));
const finite = v.pipe(v.number(), v.finite());
const bytes64 = v.pipe(bytes, v.length(64));

/**
 * A participant certificate from the enrollment authority (src/cert/certificate.ts,
 * docs/protocol.md §22): checked here for shape only; who verifies it checks the signature.
 */
export const CertificateSchema = v.strictObject({
  body: v.strictObject({
    federation: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
    participantId: clientId,
    sealKey: bytes32,
    signKey: bytes32,
    roles: v.pipe(v.array(v.picklist(['trainer', 'member'])), v.minLength(1), v.maxLength(2)),
    notBefore: uint,
    notAfter: uint,
    authority: bytes32,
  }),
  signature: bytes64,
});
export type WireCertificate = v.InferOutput<typeof CertificateSchema>;

/** The committee list the authority drew and signed (src/cert/committee.ts, docs/protocol.md §24). */
export const SignedCommitteeSchema = v.strictObject({
  body: v.strictObject({
    federation: v.pipe(v.string(), v.minLength(1), v.maxLength(128)),
    epoch: uint,
    notBefore: uint,
    notAfter: uint,
    m: uint,
    tRec: uint,
    rho: uint,
    members: v.pipe(v.array(v.strictObject({ participantId: clientId, sealKey: bytes32 })), v.maxLength(4096)),
    pool: uint,
    authority: bytes32,
  }),
  signature: bytes64,
});

/**
 * A round's id within its federation: assigned by the server, increasing, never reused (not
 * even across restarts). Every message about a round carries it as `round`.
 */
export type RoundId = number;
const roundId = uint;

// ---- participant → server ------------------------------------------------------------------

export const JoinSchema = v.strictObject({
  t: v.literal('join'),
  v: v.literal(WIRE_VERSION),
  token: v.pipe(v.string(), v.maxLength(256)),
  publicKey: bytes32,
  /** Proof of possession of the secret key for the connection's challenge (src/secagg/identity.ts). */
  proof: bytes32,
  train: v.boolean(),
  committee: v.boolean(),
  label: v.optional(v.pipe(v.string(), v.maxLength(64))),
  /** The authority's certificate of this participant; required by a certified federation. */
  certificate: v.optional(CertificateSchema),
});

export const ContributionSchema = v.strictObject({
  t: v.literal('contribution'),
  round: roundId,
  y1: bytes,
  y2: bytes,
  eph: bytes32,
  sealed: v.pipe(v.array(bytes), v.maxLength(4096)),
  /** Ed25519 signature of the contribution statement (docs/protocol.md §23) by the trainer's signing key. */
  sig: v.optional(bytes64),
  /** Commitments to the m slice keys, signed with the rest (docs/protocol.md §25). */
  keys: v.optional(v.pipe(v.array(bytes32), v.maxLength(4096))),
});

export const AnswerSchema = v.strictObject({
  t: v.literal('answer'),
  round: roundId,
  memberIndex: uint,
  hS: bytes32,
  sum: bytes,
  /** Ed25519 signature of the answer statement (docs/protocol.md §23) by the member's signing key. */
  sig: v.optional(bytes64),
});

/**
 * One slice a member could not use (docs/protocol.md §25): `key` — the slice key it derives is
 * not the committed one; `open` — the committed key (revealed in `okm`) does not open the slice;
 * `slice` — it opens to something that is not a slice.
 */
export const FaultSchema = v.strictObject({
  id: clientId,
  kind: v.picklist(['key', 'open', 'slice']),
  okm: v.optional(v.pipe(bytes, v.length(44))),
});
export type WireFault = v.InferOutput<typeof FaultSchema>;

const complaintFields = {
  memberIndex: uint,
  hS: bytes32,
  faults: v.pipe(v.array(FaultSchema), v.minLength(1), v.maxLength(4096)),
  /** Ed25519 signature of the complaint statement by the member's signing key. */
  sig: bytes64,
};

/** A certified member's signed complaint, sent instead of its answer (docs/protocol.md §25). */
export const ComplaintSchema = v.strictObject({ t: v.literal('complaint'), round: roundId, ...complaintFields });
export const SignedComplaintSchema = v.strictObject(complaintFields);
export type SignedComplaint = v.InferOutput<typeof SignedComplaintSchema>;

/** Insecure plaintext contribution, accepted only by a server in the labelled benchmark mode. */
export const PlainSchema = v.strictObject({
  t: v.literal('plain'),
  round: roundId,
  x: bytes,
});

export const LeaveSchema = v.strictObject({ t: v.literal('leave') });

export const ClientMessageSchema = v.variant('t', [
  JoinSchema,
  ContributionSchema,
  AnswerSchema,
  ComplaintSchema,
  PlainSchema,
  LeaveSchema,
]);

export type JoinMsg = v.InferOutput<typeof JoinSchema>;
export type ContributionMsg = v.InferOutput<typeof ContributionSchema>;
export type AnswerMsg = v.InferOutput<typeof AnswerSchema>;
export type ComplaintMsg = v.InferOutput<typeof ComplaintSchema>;
export type PlainMsg = v.InferOutput<typeof PlainSchema>;
export type ClientMessage = v.InferOutput<typeof ClientMessageSchema>;

// ---- server → participant ------------------------------------------------------------------

/** The first frame of every connection: the challenge a join must answer. */
export const HelloSchema = v.strictObject({
  t: v.literal('hello'),
  v: v.literal(WIRE_VERSION),
  challenge: bytes32,
});

export const WelcomeSchema = v.strictObject({
  t: v.literal('welcome'),
  v: v.literal(WIRE_VERSION),
  clientId,
  federation: v.string(),
  version: uint,
});

export const RoleSchema = v.picklist(['trainer', 'member', 'idle']);

/** A committee's sharing scheme (m, t_rec, ρ); its constraints are the core's (validateScheme). */
export const CommitteeSchema = v.strictObject({ m: uint, tRec: uint, rho: uint });

/**
 * A secure round's configuration: exactly the core's RoundConfig (src/secagg/params.ts) and
 * everything a trainer or member needs for the protocol's arithmetic.
 */
const SecureRoundConfigSchema = v.strictObject({
  mode: v.literal('secure'),
  federation: v.string(),
  round: roundId,
  /** Coordinates of the masked vector (src/wire/layout.ts). */
  length: uint,
  delta: uint,
  bits: uint,
  nMax: uint,
  committee: CommitteeSchema,
  /** Long-term X25519 public keys of the members; member j (1-based) is at index j − 1. */
  memberKeys: v.array(bytes32),
  publicSeed: bytes32,
});

/** INSECURE benchmark mode: trainers send their quantized update in the clear; no committee. */
const PlaintextRoundConfigSchema = v.strictObject({
  mode: v.literal('plaintext'),
  federation: v.string(),
  round: roundId,
  length: uint,
  bits: uint,
});

/**
 * The round's configuration as one object (one round, one configuration for every party). A
 * secure configuration is validated by the core (validateRoundConfig) when it is decoded.
 */
export const RoundConfigSchema = v.pipe(
  v.variant('mode', [SecureRoundConfigSchema, PlaintextRoundConfigSchema]),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed || dataset.value.mode !== 'secure') return;
    try {
      validateRoundConfig(dataset.value);
    } catch (e) {
      if (!(e instanceof SecAggError)) throw e;
      addIssue({ message: e.message });
    }
  }),
);

export const RoundSchema = v.strictObject({
  t: v.literal('round'),
  config: RoundConfigSchema,
  /** Global model version the round starts from. */
  version: uint,
  /** Global weights, float32 little-endian. */
  weights: bytes,
  /** Model architecture (validated by src/ml). */
  architecture: v.unknown(),
  role: RoleSchema,
  memberIndex: v.optional(uint),
  /** Deadlines as milliseconds since the epoch (server clock). */
  submitBy: finite,
  answerBy: finite,
  quant: v.strictObject({ clip: finite, l2Clip: v.optional(finite), weightCap: finite }),
  train: v.strictObject({ epochs: uint, batchSize: uint, learningRate: finite }),
  /** Trainers append their local metrics as sufficient statistics (src/wire/layout.ts). */
  metrics: v.boolean(),
  /** A certified federation's committee: member j's certificate at index j − 1 (docs/protocol.md §23). */
  memberCerts: v.optional(v.pipe(v.array(CertificateSchema), v.maxLength(4096))),
  /** A certified federation's committee as the authority drew and signed it. */
  committeeCert: v.optional(SignedCommitteeSchema),
  /** A DP round's parameters and the federation's accounting (docs/dp.md §12). */
  dp: v.optional(DpDescriptorSchema),
});

/** What a member checks of one trainer in a certified federation (docs/protocol.md §23, §25). */
export const SignedSlotSchema = v.strictObject({
  cert: CertificateSchema,
  sig: bytes64,
  masked: bytes32,
  slices: v.pipe(v.array(bytes32), v.maxLength(4096)),
  keys: v.pipe(v.array(bytes32), v.maxLength(4096)),
});
export type SignedSlot = v.InferOutput<typeof SignedSlotSchema>;

const survivorList = v.array(v.strictObject({ id: clientId, digest: bytes32 }));

/**
 * The evidence against a trainer left out of a re-issued job (docs/protocol.md §25): its signed
 * contribution data, and the sealed slices that the complaints' revealed keys refer to.
 */
export const ExcludedSchema = v.strictObject({
  id: clientId,
  eph: bytes32,
  signed: SignedSlotSchema,
  sealed: v.pipe(v.array(v.strictObject({ memberIndex: uint, sealed: bytes })), v.maxLength(4096)),
});
export type WireExcluded = v.InferOutput<typeof ExcludedSchema>;

export const JobSchema = v.strictObject({
  t: v.literal('job'),
  round: roundId,
  memberIndex: uint,
  survivors: survivorList,
  hS: bytes32,
  slots: v.array(
    v.strictObject({
      id: clientId,
      eph: bytes32,
      sealed: bytes,
      /** In a certified federation: what the member checks (docs/protocol.md §23). */
      signed: v.optional(SignedSlotSchema),
    }),
  ),
  /**
   * A job re-issued after complaints (docs/protocol.md §25): the survivor list of the job it
   * replaces, the trainers left out with the evidence against them, and the members' complaints.
   */
  retry: v.optional(
    v.strictObject({
      previous: survivorList,
      excluded: v.pipe(v.array(ExcludedSchema), v.minLength(1), v.maxLength(4096)),
      complaints: v.pipe(v.array(SignedComplaintSchema), v.minLength(1), v.maxLength(4096)),
    }),
  ),
});

/** A member's signed H_S, returned with the result so every participant can detect a split view. */
export const AttestationSchema = v.strictObject({
  memberIndex: uint,
  hS: bytes32,
  /** SHA-256 of the member's answer bytes. */
  answer: bytes32,
  sig: bytes64,
});
export type Attestation = v.InferOutput<typeof AttestationSchema>;

export const ResultSchema = v.strictObject({
  t: v.literal('result'),
  round: roundId,
  ok: v.boolean(),
  /** Model version after the round (unchanged when the round failed). */
  version: uint,
  survivors: uint,
  answered: uint,
  code: v.optional(v.string()),
  reason: v.optional(v.string()),
  /** The members' signed answers of the round (certified federations). */
  attestations: v.optional(v.pipe(v.array(AttestationSchema), v.maxLength(4096))),
  /** Trainers left out of the sum after verifiable complaints (docs/protocol.md §25). */
  excluded: v.optional(v.pipe(v.array(clientId), v.maxLength(4096))),
  /**
   * The final survivor list S (ids and digests) whose H_S the members signed, sent to the
   * round's trainers so each can check its own contribution is in the sum (its receipt,
   * docs/protocol.md §26).
   */
  survivorList: v.optional(v.pipe(survivorList, v.maxLength(100_000))),
  /** In how many ms the server opens the next round (when enough participants are connected);
   * absent when no round follows (the last of `--rounds`). Relative, so clocks need not agree. */
  nextRoundInMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(86_400_000))),
});

export const ErrorSchema = v.strictObject({
  t: v.literal('error'),
  code: v.string(),
  message: v.string(),
  round: v.optional(roundId),
  /** The type of the refused message, when it was known. */
  ref: v.optional(v.string()),
});

export const ServerMessageSchema = v.variant('t', [
  HelloSchema,
  WelcomeSchema,
  RoundSchema,
  JobSchema,
  ResultSchema,
  ErrorSchema,
]);

export type HelloMsg = v.InferOutput<typeof HelloSchema>;
export type WelcomeMsg = v.InferOutput<typeof WelcomeSchema>;
export type Role = v.InferOutput<typeof RoleSchema>;
export type RoundMsg = v.InferOutput<typeof RoundSchema>;
export type WireRoundConfig = v.InferOutput<typeof RoundConfigSchema>;
export type SecureRoundConfig = Extract<WireRoundConfig, { mode: 'secure' }>;
export type PlaintextRoundConfig = Extract<WireRoundConfig, { mode: 'plaintext' }>;
export type JobMsg = v.InferOutput<typeof JobSchema>;
export type ResultMsg = v.InferOutput<typeof ResultSchema>;
export type ErrorMsg = v.InferOutput<typeof ErrorSchema>;
export type ServerMessage = v.InferOutput<typeof ServerMessageSchema>;
