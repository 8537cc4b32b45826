/**
 * Backend selection. Training and inference only use portable tfjs ops, so any
 * registered backend works: `cpu` (Node and browser), `wasm`, `webgl`,
 * `webgpu` in the browser when their packages are loaded.
 */
import * as tf from '@tensorflow/tfjs';
import { MlInputError } from './errors';

/** Activates backend `name` (default `cpu`) and returns the active backend's name. */
export async function useBackend(name = 'cpu'): Promise<string> {
  const ok = await tf.setBackend(name);
  if (!ok)
    throw new MlInputError(
      `tfjs backend '${name}' is not available (registered: ${Object.keys(tf.engine().registryFactory).join(', ')})`,
    );
  await tf.ready();
  return tf.getBackend();
}
