import { initBackend, loadModelFromDir, saveModelToDir, tf } from '@pawpipe/tf-backend';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Conv2D, conv2d, inputMayNeedGradient, makeModel, trainStep } from '../src';

beforeAll(async () => {
  await initBackend('wasm');
});

const maxRelDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() =>
  tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / (1 + tf.max(tf.abs(b)).dataSync()[0]!));

/** Names and output shapes of the kernels one training step runs. */
async function stepKernels(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): Promise<Array<{ name: string; out: string }>> {
  const opt = tf.train.sgd(0.01);
  const info = await tf.profile(async () => { await trainStep(model, opt, x, y); });
  return info.kernels.map((k) => ({ name: k.name, out: (k.outputShapes[0] ?? []).join('x') }));
}

test('is a Conv2D for serialisation', () => {
  expect(Conv2D.className).toBe('Conv2D');
  expect(conv2d({ filters: 2, kernelSize: 3 }).getClassName()).toBe('Conv2D');
});

test('the input gradient of a conv with nothing trainable upstream is never computed', async () => {
  const model = makeModel({ inputShape: [16, 16, 3], numClasses: 2 });
  const x = tf.randomUniform([2, 16, 16, 3], 0, 255, 'float32', 1);
  const y = tf.tensor2d([[0], [1]]);
  const kernels = await stepKernels(model, x, y);
  // The image-sized gradient ([2,16,16,3]) would come from entry_conv1's Conv2DBackpropInput.
  expect(kernels.filter((k) => k.name === 'Conv2DBackpropInput' && k.out === '2x16x16x3')).toEqual([]);
  // ... while its filter gradient is still computed, and the inner convs keep their input gradients
  expect(kernels.some((k) => k.name === 'Conv2DBackpropFilter' && k.out === '3x3x3x32')).toBe(true);
  expect(kernels.some((k) => k.name === 'Conv2DBackpropInput' && k.out === '2x8x8x32')).toBe(true);
  tf.dispose([x, y]);
  model.dispose();
});

test('which convs can skip it: only those with no trainable layer upstream', () => {
  const model = makeModel({ inputShape: [16, 16, 3], numClasses: 2 });
  expect(inputMayNeedGradient(model.getLayer('entry_conv1'))).toBe(false);
  expect(inputMayNeedGradient(model.getLayer('entry_conv2'))).toBe(true);
  expect(inputMayNeedGradient(model.getLayer('block128_residual'))).toBe(true);
  // a layer never called is unknown, hence treated as needing it
  expect(inputMayNeedGradient(conv2d({ filters: 2, kernelSize: 3 }))).toBe(true);
  // freezing the upstream layers removes the need
  const inp = tf.input({ shape: [8, 8, 3] });
  const first = tf.layers.dense({ units: 3 });
  const second = conv2d({ filters: 2, kernelSize: 3 });
  second.apply(first.apply(inp));
  expect(inputMayNeedGradient(second)).toBe(true);
  first.trainable = false;
  expect(inputMayNeedGradient(second)).toBe(false);
  model.dispose();
});

test('outputs and weight gradients equal the stock fused layer', () => {
  const config = { filters: 4, kernelSize: 3, strides: 2, padding: 'same' as const, activation: 'relu' as const };
  const build = (layer: tf.layers.Layer): tf.LayersModel => {
    const inp = tf.input({ shape: [9, 7, 3] });
    return tf.model({ inputs: inp, outputs: layer.apply(tf.layers.rescaling({ scale: 0.5 }).apply(inp)) as tf.SymbolicTensor });
  };
  const ours = build(conv2d(config));
  const stock = build(tf.layers.conv2d(config));
  stock.setWeights(ours.getWeights());
  const x = tf.randomNormal([3, 9, 7, 3], 0, 1, 'float32', 2);
  const dy = tf.randomNormal([3, 5, 4, 4], 0, 1, 'float32', 3);
  const run = (m: tf.LayersModel): tf.Tensor[] => {
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(m.apply(x, { training: true }) as tf.Tensor, dy)) as tf.Scalar, vars);
    return [m.predict(x) as tf.Tensor, value, ...vars.map((v) => grads[v.name] as tf.Tensor)];
  };
  const a = run(ours);
  const b = run(stock);
  expect(a).toHaveLength(4);
  a.forEach((t, i) => expect(maxRelDiff(t, b[i]!)).toBeLessThan(1e-6));
  // an input gradient, asked for explicitly, is still right
  const dx = (m: tf.LayersModel): tf.Tensor => tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(m.apply(xi) as tf.Tensor, dy)))(x);
  expect(maxRelDiff(dx(ours), dx(stock))).toBeLessThan(1e-6);
});

test('a saved model loads back with this class', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pawpipe-conv2d-'));
  const model = makeModel({ inputShape: [16, 16, 3], numClasses: 2, augmentation: false });
  await saveModelToDir(model, dir);
  const loaded = await loadModelFromDir(dir);
  expect(loaded.getLayer('entry_conv1')).toBeInstanceOf(Conv2D);
  const x = tf.randomUniform([1, 16, 16, 3], 0, 255, 'float32', 4);
  expect(maxRelDiff(loaded.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor)).toBeLessThan(1e-6);
  fs.rmSync(dir, { recursive: true, force: true });
});
