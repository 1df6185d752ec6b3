import { initBackend, tf } from '@pawpipe/tf-backend';
import { BatchNormalization, batchNormalization } from '../src';

beforeAll(async () => {
  await initBackend('wasm');
});

function pair(c = 3): { ours: tf.layers.Layer; stock: tf.layers.Layer } {
  const ours = batchNormalization({ momentum: 0.9 });
  const stock = tf.layers.batchNormalization({ momentum: 0.9 });
  ours.build([null, 5, 7, c]);
  stock.build([null, 5, 7, c]);
  const pick = (vals: number[]): tf.Tensor1D => tf.tensor1d(Array.from({ length: c }, (_, i) => vals[i % 3] as number));
  const w = [pick([0.5, 1.5, -1]), pick([0.1, -0.2, 0.3]), pick([0.2, 0, -0.1]), pick([1, 2, 0.5])];
  ours.setWeights(w);
  stock.setWeights(w);
  tf.dispose(w);
  return { ours, stock };
}

test('is a BatchNormalization for serialisation', () => {
  expect(BatchNormalization.className).toBe('BatchNormalization');
  expect(batchNormalization().getClassName()).toBe('BatchNormalization');
});

// 3 channels: the tf-op path; 8: wasm's fused SIMD kernels (channels a multiple of 4)
test.each([3, 8])('training output, gradients and moving averages equal stock tfjs-layers (%i channels)', (c) => {
  const { ours, stock } = pair(c);
  const x = tf.randomNormal([3, 5, 7, c], 1, 2, 'float32', 4);
  const dy = tf.randomNormal([3, 5, 7, c], 0, 1, 'float32', 5);
  const run = (layer: tf.layers.Layer): tf.Tensor[] => {
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x, { training: true }) as tf.Tensor, dy)) as tf.Scalar, vars);
    const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(layer.apply(xi, { training: true }) as tf.Tensor, dy)))(x);
    return [value, ...vars.map((v) => grads[v.name] as tf.Tensor), dx, ...layer.getWeights().slice(2)];
  };
  const a = run(ours);
  const b = run(stock);
  a.forEach((t, i) => {
    const diff = tf.max(tf.abs(tf.sub(t, b[i]!))).dataSync()[0]!;
    const mag = tf.max(tf.abs(b[i]!)).dataSync()[0]!;
    expect(diff / (1 + mag)).toBeLessThan(1e-5);
  });
});

test('inference uses the moving statistics like stock', () => {
  const { ours, stock } = pair();
  const x = tf.randomNormal([2, 5, 7, 3], 0, 1, 'float32', 6);
  const a = (ours.apply(x) as tf.Tensor).dataSync();
  const b = (stock.apply(x) as tf.Tensor).dataSync();
  expect(Array.from(a)).toEqual(Array.from(b));
});
