/**
 * Model checkpoints: manifest (architecture, scaling, threshold, weight
 * layout, metadata) + raw little-endian float32 weights. Format documented in
 * `CHECKPOINT.md`. This module is environment-neutral: in-memory
 * (de)serialisation to a single byte array (e.g. for IndexedDB) and loading
 * over `fetch`; directory I/O for Node is in `checkpoint-node.ts`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type * as tf from '@tensorflow/tfjs';
import { CheckpointFormatError } from './errors';
import { buildModel, parameterCount, parseArchitecture, type MlpArchitecture } from './model';
import { numInputs, parseScaling, type ScalingSpec } from './scaling';
import { flattenWeights, setFlatWeights, weightSpecs, type WeightSpec } from './weights';

export const CHECKPOINT_FORMAT = 'speakonce-fraud-mlp';
export const CHECKPOINT_VERSION = 1;
export const MANIFEST_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
/** Magic prefix of the single-buffer encoding ("SOCK"). */
const MAGIC = [0x53, 0x4f, 0x43, 0x4b];

/** The JSON manifest (`model.json`). */
export interface CheckpointManifest {
  readonly format: typeof CHECKPOINT_FORMAT;
  readonly version: typeof CHECKPOINT_VERSION;
  readonly architecture: MlpArchitecture;
  readonly scaling: ScalingSpec;
  /** Decision threshold on the fraud probability. */
  readonly threshold: number;
  readonly weights: {
    readonly file: string;
    readonly dtype: 'float32';
    readonly byteOrder: 'little';
    readonly length: number;
    readonly sha256: string;
    readonly specs: readonly WeightSpec[];
  };
  /** Free-form provenance (command, data, epochs, date, …). */
  readonly meta: Record<string, unknown>;
}

/** A checkpoint in memory. */
export interface Checkpoint {
  readonly manifest: CheckpointManifest;
  readonly weights: Float32Array;
}

/** Float32 values as little-endian bytes (independent of the platform's endianness). */
export function encodeWeights(w: Float32Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(w.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < w.length; i++) view.setFloat32(i * 4, w[i] as number, true);
  return out;
}

/** Inverse of {@link encodeWeights}. */
export function decodeWeights(bytes: Uint8Array): Float32Array<ArrayBuffer> {
  if (bytes.length % 4 !== 0)
    throw new CheckpointFormatError(`weights byte length ${bytes.length} is not a multiple of 4`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Creates a checkpoint of `model`. */
export function createCheckpoint(
  model: tf.LayersModel,
  arch: MlpArchitecture,
  scaling: ScalingSpec,
  threshold: number,
  meta: Record<string, unknown> = {},
): Checkpoint {
  const weights = flattenWeights(model);
  const manifest: CheckpointManifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    architecture: arch,
    scaling,
    threshold,
    weights: {
      file: WEIGHTS_FILE,
      dtype: 'float32',
      byteOrder: 'little',
      length: weights.length,
      sha256: bytesToHex(sha256(encodeWeights(weights))),
      specs: weightSpecs(model),
    },
    meta: { createdAt: new Date().toISOString(), ...meta },
  };
  return { manifest, weights };
}

/** Validates an untrusted manifest object. */
export function parseManifest(value: unknown): CheckpointManifest {
  const m = value as Partial<CheckpointManifest> | null;
  if (!m || m.format !== CHECKPOINT_FORMAT) throw new CheckpointFormatError(`not a ${CHECKPOINT_FORMAT} manifest`);
  if (m.version !== CHECKPOINT_VERSION)
    throw new CheckpointFormatError(`unsupported checkpoint version ${String(m.version)}`);
  let architecture: MlpArchitecture;
  let scaling: ScalingSpec;
  try {
    architecture = parseArchitecture(m.architecture);
    scaling = parseScaling(m.scaling);
  } catch (e) {
    throw new CheckpointFormatError((e as Error).message);
  }
  if (architecture.inputs !== numInputs(scaling))
    throw new CheckpointFormatError('architecture inputs do not match the scaling');
  const w = m.weights;
  if (
    !w ||
    w.dtype !== 'float32' ||
    w.byteOrder !== 'little' ||
    w.length !== parameterCount(architecture) ||
    typeof w.sha256 !== 'string' ||
    !Array.isArray(w.specs)
  ) {
    throw new CheckpointFormatError(`bad weights section: ${JSON.stringify(w)?.slice(0, 200)}`);
  }
  if (typeof m.threshold !== 'number' || !(m.threshold >= 0 && m.threshold <= 1))
    throw new CheckpointFormatError(`bad threshold ${String(m.threshold)}`);
  return { ...(m as CheckpointManifest), architecture, scaling, meta: m.meta ?? {} };
}

/** Builds a checkpoint from an untrusted manifest and raw weight bytes, verifying length and checksum. */
export function checkpointFromParts(manifestJson: unknown, weightBytes: Uint8Array): Checkpoint {
  const manifest = parseManifest(manifestJson);
  const weights = decodeWeights(weightBytes);
  if (weights.length !== manifest.weights.length) {
    throw new CheckpointFormatError(
      `weights file has ${weights.length} values, manifest says ${manifest.weights.length}`,
    );
  }
  if (bytesToHex(sha256(weightBytes)) !== manifest.weights.sha256)
    throw new CheckpointFormatError('weights checksum mismatch');
  return { manifest, weights };
}

/** Single-buffer encoding: "SOCK", u32 LE manifest length, manifest UTF-8 JSON, zero padding to 4, weights. */
export function checkpointToBytes(ckpt: Checkpoint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(ckpt.manifest));
  const head = 8 + json.length;
  const pad = (4 - (head % 4)) % 4;
  const out = new Uint8Array(head + pad + ckpt.weights.length * 4);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  out.set(encodeWeights(ckpt.weights), head + pad);
  return out;
}

/** Inverse of {@link checkpointToBytes}. */
export function checkpointFromBytes(bytes: Uint8Array): Checkpoint {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b))
    throw new CheckpointFormatError('not a SpeakOnce checkpoint buffer');
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + len > bytes.length) throw new CheckpointFormatError('truncated checkpoint buffer');
  let manifest: unknown;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  } catch {
    throw new CheckpointFormatError('checkpoint manifest is not valid JSON');
  }
  const start = 8 + len + ((4 - ((8 + len) % 4)) % 4);
  return checkpointFromParts(manifest, bytes.slice(start));
}

/** Loads `<baseUrl>/model.json` and its weights file with `fetch` (browser or Node). */
export async function fetchCheckpoint(baseUrl: string): Promise<Checkpoint> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const res = await fetch(`${base}${MANIFEST_FILE}`);
  if (!res.ok) throw new CheckpointFormatError(`cannot fetch ${base}${MANIFEST_FILE}: HTTP ${res.status}`);
  const manifest = parseManifest(await res.json());
  const wres = await fetch(`${base}${manifest.weights.file}`);
  if (!wres.ok) throw new CheckpointFormatError(`cannot fetch weights: HTTP ${wres.status}`);
  return checkpointFromParts(manifest, new Uint8Array(await wres.arrayBuffer()));
}

/** A tfjs model with the checkpoint's architecture and weights. */
export function modelFromCheckpoint(ckpt: Checkpoint): tf.Sequential {
  const model = buildModel(ckpt.manifest.architecture);
  setFlatWeights(model, ckpt.weights);
  return model;
}
