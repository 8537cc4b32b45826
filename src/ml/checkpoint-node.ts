/** Node-only checkpoint directory I/O (`<dir>/model.json` + `<dir>/weights.bin`). */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpointFromParts, encodeWeights, MANIFEST_FILE, type Checkpoint } from './checkpoint';
import { CheckpointFormatError, MlInputError } from './errors';

/** Writes the checkpoint into `dir` (created if missing). Returns the two file paths. */
export async function saveCheckpoint(dir: string, ckpt: Checkpoint): Promise<{ manifest: string; weights: string }> {
  await mkdir(dir, { recursive: true });
  const manifest = join(dir, MANIFEST_FILE);
  const weights = join(dir, ckpt.manifest.weights.file);
  await writeFile(weights, encodeWeights(ckpt.weights));
  await writeFile(manifest, JSON.stringify(ckpt.manifest, null, 2) + '\n');
  return { manifest, weights };
}

/** Reads and verifies the checkpoint in `dir`. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch {
    throw new MlInputError(`no checkpoint in ${dir} (missing ${MANIFEST_FILE})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CheckpointFormatError(`${join(dir, MANIFEST_FILE)} is not valid JSON`);
  }
  const file = (json as { weights?: { file?: unknown } } | null)?.weights?.file;
  if (typeof file !== 'string' || file.includes('/') || file.includes('\\'))
    throw new CheckpointFormatError('manifest weights.file must be a bare file name');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(join(dir, file)));
  } catch {
    throw new MlInputError(`checkpoint weights file missing: ${join(dir, file)}`);
  }
  return checkpointFromParts(json, bytes);
}
