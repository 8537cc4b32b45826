import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from './backend';
import {
  checkpointFromBytes,
  checkpointToBytes,
  createCheckpoint,
  decodeWeights,
  encodeWeights,
  modelFromCheckpoint,
} from './checkpoint';
import { loadCheckpoint, saveCheckpoint } from './checkpoint-node';
import { CheckpointFormatError } from './errors';
import { buildModel, mlpArchitecture } from './model';
import { DEFAULT_SCALING, numInputs } from './scaling';
import { flattenWeights } from './weights';

const dir = mkdtempSync(join(tmpdir(), 'speakonce-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(async () => {
  await useBackend('cpu');
});

const arch = mlpArchitecture(numInputs(DEFAULT_SCALING), [6]);
const model = buildModel(arch, 9);
const ckpt = createCheckpoint(model, arch, DEFAULT_SCALING, 0.42, { command: 'test' });

describe('checkpoints', () => {
  it('encode weights as little-endian float32', () => {
    const bytes = encodeWeights(new Float32Array([1, -2.5]));
    expect(Array.from(bytes)).toEqual([0, 0, 128, 63, 0, 0, 32, 192]);
    expect(Array.from(decodeWeights(bytes))).toEqual([1, -2.5]);
  });

  it('round-trip through bytes and restore the model', () => {
    const back = checkpointFromBytes(checkpointToBytes(ckpt));
    expect(back.weights).toEqual(ckpt.weights);
    expect(back.manifest.threshold).toBe(0.42);
    expect(back.manifest.architecture).toEqual(arch);
    expect(flattenWeights(modelFromCheckpoint(back))).toEqual(flattenWeights(model));
  });

  it('round-trip through a directory', async () => {
    await saveCheckpoint(join(dir, 'a'), ckpt);
    const back = await loadCheckpoint(join(dir, 'a'));
    expect(back.weights).toEqual(ckpt.weights);
    expect(back.manifest.scaling).toEqual(DEFAULT_SCALING);
  });

  it('reject corrupted or foreign checkpoints', async () => {
    const bytes = checkpointToBytes(ckpt);
    bytes[bytes.length - 1]! ^= 1;
    expect(() => checkpointFromBytes(bytes)).toThrow(/checksum/);
    expect(() => checkpointFromBytes(new Uint8Array(16))).toThrow(CheckpointFormatError);
    await saveCheckpoint(join(dir, 'b'), ckpt);
    writeFileSync(join(dir, 'b', 'model.json'), JSON.stringify({ ...ckpt.manifest, version: 99 }));
    await expect(loadCheckpoint(join(dir, 'b'))).rejects.toThrow(/version/);
    writeFileSync(
      join(dir, 'b', 'model.json'),
      JSON.stringify({ ...ckpt.manifest, architecture: { ...arch, hidden: [7] } }),
    );
    await expect(loadCheckpoint(join(dir, 'b'))).rejects.toThrow(CheckpointFormatError);
  });
});
