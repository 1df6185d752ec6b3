import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BackendError, initBackend, loadModelFromDir, saveModelToDir, tf, WEIGHTS_BIN } from '../src';

let dir: string;
beforeAll(async () => {
  await initBackend('wasm');
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pawpipe-model-dir-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function smallModel(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 2] });
  const conv = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'conv' }).apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(conv) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 1, activation: 'sigmoid', name: 'head' }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

test('saveModelToDir writes the standard tfjs layout and loadModelFromDir restores identical predictions', async () => {
  const model = smallModel();
  await saveModelToDir(model, dir, { metadata: { classNames: ['Cat', 'Dog'] } });
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  expect(json.format).toBe('layers-model');
  expect(json.weightsManifest[0].paths).toEqual([WEIGHTS_BIN]);
  expect(json.userDefinedMetadata).toEqual({ classNames: ['Cat', 'Dog'] });
  expect(fs.statSync(path.join(dir, WEIGHTS_BIN)).size).toBe(model.countParams() * 4);

  const loaded = await loadModelFromDir(dir);
  const x = tf.randomUniform([2, 6, 6, 2], 0, 1, 'float32', 7);
  const a = model.predict(x) as tf.Tensor;
  const b = loaded.predict(x) as tf.Tensor;
  expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
  tf.dispose([x, a, b]);
  model.dispose();
  loaded.dispose();
});

test('an existing model is not overwritten without overwrite: true', async () => {
  const model = smallModel();
  await saveModelToDir(model, dir);
  const err = await saveModelToDir(model, dir).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BackendError);
  expect((err as BackendError).code).toBe('model-io');
  await expect(saveModelToDir(model, dir, { overwrite: true })).resolves.toBeDefined();
  model.dispose();
});

test('the optimizer state round-trips with includeOptimizer', async () => {
  const model = smallModel();
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
  const x = tf.randomUniform([4, 6, 6, 2], 0, 1, 'float32', 3);
  const y = tf.tensor2d([[0], [1], [0], [1]]);
  await model.fit(x, y, { epochs: 1, verbose: 0 });
  await saveModelToDir(model, dir, { includeOptimizer: true });
  const loaded = await loadModelFromDir(dir);
  expect(loaded.optimizer).toBeDefined();
  const weights = await loaded.optimizer.getWeights();
  expect(weights.length).toBeGreaterThan(1); // iterations + Adam's moments
  tf.dispose([x, y]);
  model.dispose();
  loaded.dispose();
});

test('a missing or foreign directory is a model-io BackendError naming the file', async () => {
  const err = await loadModelFromDir(path.join(dir, 'nope')).catch((e: unknown) => e);
  expect((err as BackendError).code).toBe('model-io');
  expect((err as BackendError).message).toContain('model.json');
  fs.writeFileSync(path.join(dir, 'model.json'), '{"hello": 1}');
  const err2 = await loadModelFromDir(dir).catch((e: unknown) => e);
  expect((err2 as BackendError).message).toMatch(/not a TensorFlow.js layers model/);
});
