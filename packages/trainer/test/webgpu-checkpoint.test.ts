// Checkpoints move between backends: trained on WebGPU, resumed on wasm, and back, with the same
// predictions (within 1e-5) wherever they are loaded. The mini-Xception at 16x16 with the
// augmentation layers in the model (the tutorial's Option 1, the GPU setup), so every layer class
// pawpipe saves is in the checkpoint. Without a GPU this runs on SwiftShader.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makeModel } from '@pawpipe/model';
import { initBackend, releaseWebGpu, tf, webGpuTestGate } from '@pawpipe/tf-backend';
import { compileForClasses, fit, loadCheckpoint, saveCheckpoint } from '../src';
import type { CheckpointMeta } from '../src';
import { batchesOf, brightDark } from './helpers';

const gate = webGpuTestGate();
// eslint-disable-next-line no-console
if (!gate.ok) console.log(`skipped: no WebGPU adapter (${gate.why})`);
const testGpu = gate.ok ? test : test.skip;

const SIZE = 16;
let dir: string;
beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'pawpipe-webgpu-ckpt-')); });
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await releaseWebGpu();
});

function meta(epoch: number): CheckpointMeta {
  return {
    format: 'pawpipe-checkpoint', formatVersion: 1, runId: 'r-gpu', epoch, epochs: 2, classNames: ['Cat', 'Dog'], imageSize: [SIZE, SIZE],
    seed: 1, validationSplit: 0.2, batchSize: 4, labelMode: 'binary', backend: tf.getBackend(), augmentation: { placement: 'model', flip: 'horizontal', rotation: 0.1 },
    metrics: { loss: 0.5, accuracy: 0.5 }, optimizer: { className: 'Adam', learningRate: 1e-3 }, savedAt: new Date().toISOString(),
  };
}

/** Inference-mode probabilities on a fixed batch (augmentation layers are the identity there). */
async function predictions(model: tf.LayersModel): Promise<Float32Array> {
  const b = brightDark(9, 0, 6, SIZE);
  const out = tf.tidy(() => model.predict(tf.tensor4d(Float32Array.from(b.images), b.shape)) as tf.Tensor);
  const p = (await out.data()) as Float32Array;
  out.dispose();
  return p;
}

const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);

testGpu('train on webgpu, resume on wasm, load back on webgpu: predictions within 1e-5 each way', async () => {
  await initBackend('webgpu');
  const model = makeModel({ inputShape: [SIZE, SIZE, 3], numClasses: 2, augmentation: { flip: 'horizontal', rotation: 0.1, seed: 4 } });
  compileForClasses(model, 2, 1e-3);
  await fit({ model, numClasses: 2, epochs: 1, numBatches: 2, batches: (e) => batchesOf(e, 2, 4, SIZE) });
  const first = await saveCheckpoint(path.join(dir, 'checkpoints'), model, meta(1));
  const onGpu = await predictions(model);
  model.dispose();

  // resume on wasm: same predictions, then one more epoch with the restored optimizer state
  await initBackend('wasm');
  const resumed = await loadCheckpoint(first, { optimizer: true });
  expect(resumed.optimizer?.weights.length).toBeGreaterThan(0);
  expect(maxDiff(await predictions(resumed.model), onGpu)).toBeLessThan(1e-5);
  compileForClasses(resumed.model, 2, 1e-3);
  await (resumed.model.optimizer as tf.Optimizer).setWeights(resumed.optimizer!.weights);
  await fit({ model: resumed.model, numClasses: 2, startEpoch: 1, epochs: 2, numBatches: 2, batches: (e) => batchesOf(e, 2, 4, SIZE) });
  const second = await saveCheckpoint(path.join(dir, 'checkpoints'), resumed.model, meta(2));
  const onWasm = await predictions(resumed.model);
  resumed.model.dispose();
  expect(maxDiff(onWasm, onGpu)).toBeGreaterThan(1e-6); // the wasm epoch did change the weights

  // and back on webgpu
  await initBackend('webgpu');
  const back = await loadCheckpoint(second);
  expect(maxDiff(await predictions(back.model), onWasm)).toBeLessThan(1e-5);
  back.model.dispose();
}, 300_000);
