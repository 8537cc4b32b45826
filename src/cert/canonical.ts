/**
 * The canonical byte encoding of every signed statement (docs/protocol.md §22). One encoding,
 * written by hand because a signature needs exactly one byte string
 * per value, which general codecs (msgpack, JSON) do not promise.
 *
 *   statement = u8 length ‖ label (ASCII, e.g. "SpeakOnce/v1/certificate") ‖ field*
 *   field     = u8 tag ‖ body
 *     tag 1 (string):   u32 byte length ‖ UTF-8 bytes (well-formed strings only: UTF-8 would
 *                       write a lone surrogate as U+FFFD, one encoding for two strings)
 *     tag 2 (integer):  u64, a safe non-negative integer
 *     tag 3 (bytes):    u32 length ‖ bytes
 *     tag 4 (list):     u32 count ‖ field*
 *
 * All integers big-endian. The label separates the statement kinds (a signature over one kind
 * never verifies as another); the fields' order is fixed by each statement's definition.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '../base/bytes.js';
import { CertificateError } from './errors.js';

export type CanonValue = string | number | Uint8Array | readonly CanonValue[];

const TAG_STRING = 1;
const TAG_INT = 2;
const TAG_BYTES = 3;
const TAG_LIST = 4;

const enc = new TextEncoder();

/** The canonical bytes of a labelled statement. */
export function canonical(label: string, fields: readonly CanonValue[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const lab = enc.encode(label);
  if (lab.length === 0 || lab.length > 255 || !/^[\x21-\x7e]+$/.test(label)) {
    throw new CertificateError('MALFORMED_CERTIFICATE', `statement label must be 1–255 printable ASCII bytes`);
  }
  parts.push(Uint8Array.of(lab.length), lab);
  for (const f of fields) put(parts, f);
  return concatBytes(...parts);
}

/** SHA-256 of the canonical bytes: the digest that statements refer to each other by. */
export function canonicalDigest(label: string, fields: readonly CanonValue[]): Uint8Array {
  return sha256(canonical(label, fields));
}

/** A field's tag and its u32 big-endian length or count. */
function head(tag: number, n: number): Uint8Array {
  return Uint8Array.of(tag, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

function put(parts: Uint8Array[], v: CanonValue): void {
  if (typeof v === 'string') {
    if (/\p{Cs}/u.test(v)) {
      throw new CertificateError(
        'MALFORMED_CERTIFICATE',
        'canonical strings must be well-formed Unicode (a lone surrogate)',
      );
    }
    const b = enc.encode(v);
    parts.push(head(TAG_STRING, b.length), b);
  } else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new CertificateError('MALFORMED_CERTIFICATE', `canonical integers are safe and non-negative, got ${v}`);
    }
    const b = new Uint8Array(9);
    b[0] = TAG_INT;
    new DataView(b.buffer).setBigUint64(1, BigInt(v));
    parts.push(b);
  } else if (v instanceof Uint8Array) {
    parts.push(head(TAG_BYTES, v.length), v);
  } else {
    parts.push(head(TAG_LIST, v.length));
    for (const x of v) put(parts, x);
  }
}
