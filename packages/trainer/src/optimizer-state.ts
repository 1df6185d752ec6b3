import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { tf } from '@pawpipe/tf-backend';
import { writeFileSynced } from './fsync';
import { TrainerError } from './errors';

export const OPTIMIZER_JSON = 'optimizer.json';
export const OPTIMIZER_BIN = 'optimizer.bin';

/**
 * Adam's state (iterations, then first and second moments per trainable variable, from
 * optimizer.getWeights()) in the tfjs weights format: specs in optimizer.json, data in optimizer.bin.
 */
export async function saveOptimizerState(optimizer: tf.Optimizer, dir: string, config: Record<string, unknown>): Promise<void> {
  const weights = await optimizer.getWeights();
  const { data, specs } = await tf.io.encodeWeights(weights);
  await writeFileSynced(path.join(dir, OPTIMIZER_BIN), new Uint8Array(tf.io.CompositeArrayBuffer.join(data)));
  await writeFileSynced(path.join(dir, OPTIMIZER_JSON), JSON.stringify({
    className: optimizer.getClassName(), config, weightsManifest: [{ paths: [OPTIMIZER_BIN], weights: specs }],
  }));
}

export interface OptimizerState {
  className: string;
  config: Record<string, unknown>;
  weights: Array<{ name: string; tensor: tf.Tensor }>;
}

export async function loadOptimizerState(dir: string): Promise<OptimizerState> {
  const file = path.join(dir, OPTIMIZER_JSON);
  try {
    const json = JSON.parse(await fs.readFile(file, 'utf8')) as {
      className: string; config: Record<string, unknown>; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
    };
    const group = json.weightsManifest[0];
    if (!group) throw new Error('empty weightsManifest');
    const buf = await fs.readFile(path.join(dir, group.paths[0] ?? OPTIMIZER_BIN));
    const map = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), group.weights);
    // getWeights() order matters (Adam maps moments to variables by position): keep the manifest's order.
    return { className: json.className, config: json.config, weights: group.weights.map((s) => ({ name: s.name, tensor: map[s.name] as tf.Tensor })) };
  } catch (e) {
    throw new TrainerError('bad-checkpoint', `cannot read optimizer state in ${dir}: ${(e as Error).message}`, file, { cause: e });
  }
}
