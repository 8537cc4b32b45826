/**
 * Encoding of wire messages: msgpack (@msgpack/msgpack) with typed arrays as raw bytes; the
 * size limit is checked before decoding, and the decoded value is validated against the
 * message schema. Every refusal is a WireError with a stable code.
 */
import { Encoder, decode } from '@msgpack/msgpack';
import * as v from 'valibot';
import { CodedError } from '../base/error.js';
import { type ClientMessage, ClientMessageSchema, type ServerMessage, ServerMessageSchema } from './messages.js';

export type WireErrorCode = 'TOO_LARGE' | 'MALFORMED' | 'UNKNOWN_TYPE' | 'BAD_VERSION';

export class WireError extends CodedError<WireErrorCode> {
  /** The message type, when the envelope decoded far enough to know it. */
  readonly ref: string | undefined;
  constructor(code: WireErrorCode, message: string, ref?: string) {
    super(code, message);
    this.ref = ref;
  }
}

// One encoder reused for every message: a fresh one starts from a 2 KB buffer and regrows it
// many times for multi-megabyte committee jobs (measured ≈ 170 ms per round at 490 trainers).
const encoder = new Encoder({ ignoreUndefined: true, initialBufferSize: 64 * 1024 });

export function encodeMessage(msg: ClientMessage | ServerMessage): Uint8Array {
  return encoder.encode(msg); // a copy, safe to keep
}

function summarize(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 3)
    .map((i) => {
      const path = i.path?.map((p) => String(p.key)).join('.') ?? '';
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}

function decodeWith<T>(
  data: Uint8Array,
  maxBytes: number,
  schema: v.GenericSchema<unknown, T>,
  types: readonly string[],
): T {
  if (data.byteLength > maxBytes)
    throw new WireError('TOO_LARGE', `message of ${data.byteLength} bytes exceeds the limit of ${maxBytes}`);
  let raw: unknown;
  try {
    raw = decode(data);
  } catch (e) {
    throw new WireError('MALFORMED', `not a msgpack message: ${e instanceof Error ? e.message : String(e)}`);
  }
  const t = typeof raw === 'object' && raw !== null && 't' in raw ? raw.t : undefined;
  if (typeof t !== 'string') throw new WireError('MALFORMED', 'message has no type field "t"');
  if (!types.includes(t))
    throw new WireError('UNKNOWN_TYPE', `unknown message type "${t.slice(0, 40)}"`, t.slice(0, 40));
  if (t === 'join' && (raw as { v?: unknown }).v !== 1)
    throw new WireError(
      'BAD_VERSION',
      `unsupported protocol version ${String((raw as { v?: unknown }).v)}; this server speaks 1`,
      t,
    );
  const parsed = v.safeParse(schema, raw);
  if (!parsed.success) throw new WireError('MALFORMED', `invalid ${t} message: ${summarize(parsed.issues)}`, t);
  return parsed.output;
}

const CLIENT_TYPES = ['join', 'contribution', 'answer', 'complaint', 'plain', 'leave'] as const;
const SERVER_TYPES = ['hello', 'welcome', 'round', 'job', 'result', 'error'] as const;

/** Decodes and validates a participant's message (server side). */
export function decodeClientMessage(data: Uint8Array, maxBytes: number): ClientMessage {
  return decodeWith(data, maxBytes, ClientMessageSchema, CLIENT_TYPES);
}

/** Decodes and validates a server message (participant side). */
export function decodeServerMessage(data: Uint8Array, maxBytes: number): ServerMessage {
  return decodeWith(data, maxBytes, ServerMessageSchema, SERVER_TYPES);
}

// ---- typed arrays as little-endian bytes -----------------------------------------------------

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
if (!LITTLE_ENDIAN) throw new Error('SpeakOnce wire codec requires a little-endian platform');

/** A view of the array's bytes (no copy). */
export function u32ToBytes(a: Uint32Array | Int32Array | Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function aligned(b: Uint8Array, what: string): ArrayBuffer {
  if (b.byteLength % 4 !== 0)
    throw new WireError('MALFORMED', `${what}: ${b.byteLength} bytes is not a whole number of 32-bit values`);
  // Decoded msgpack bins are views at arbitrary offsets: copy when unaligned.
  return b.byteOffset % 4 === 0 ? (b.buffer as ArrayBuffer) : b.slice().buffer;
}

export function bytesToU32(b: Uint8Array, what = 'vector'): Uint32Array {
  const buf = aligned(b, what);
  return new Uint32Array(buf, b.byteOffset % 4 === 0 ? b.byteOffset : 0, b.byteLength / 4);
}

export function bytesToI32(b: Uint8Array, what = 'vector'): Int32Array {
  const buf = aligned(b, what);
  return new Int32Array(buf, b.byteOffset % 4 === 0 ? b.byteOffset : 0, b.byteLength / 4);
}

export function bytesToF32(b: Uint8Array, what = 'vector'): Float32Array {
  const buf = aligned(b, what);
  return new Float32Array(buf, b.byteOffset % 4 === 0 ? b.byteOffset : 0, b.byteLength / 4);
}
