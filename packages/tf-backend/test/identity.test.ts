import { initBackend, tf } from '../src';

beforeAll(async () => {
  await initBackend('wasm');
});

const dataIds = (): number => tf.backend().numDataIds();

test('tf.clone on wasm shares the data instead of copying it, and outlives the original', () => {
  const before = dataIds();
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const c = tf.clone(x);
  expect(c.dataId).toBe(x.dataId);
  expect(dataIds()).toBe(before + 1);
  x.dispose();
  expect(Array.from(c.dataSync())).toEqual([1, 2, 3, 4]);
  c.dispose();
  expect(dataIds()).toBe(before);
});

test('a variable made from a clone and then assigned leaves the original untouched', () => {
  const x = tf.tensor1d([1, 2, 3]);
  const v = tf.variable(tf.clone(x));
  v.assign(tf.tensor1d([7, 8, 9]));
  expect(Array.from(x.dataSync())).toEqual([1, 2, 3]);
  expect(Array.from(v.dataSync())).toEqual([7, 8, 9]);
  tf.dispose([x, v]);
});

test('customGrad (whose saved tensors the engine clones) gives the right gradient and frees everything', () => {
  const before = { tensors: tf.memory().numTensors, data: dataIds() };
  const square = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x]);
    return { value: tf.square(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, tf.mul(saved[0] as tf.Tensor, 2))] };
  }) as never) as unknown as (x: tf.Tensor) => tf.Tensor;
  const x = tf.tensor1d([1, -2, 3]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(square(t)))(x);
  expect(Array.from(g.dataSync())).toEqual([2, -4, 6]);
  tf.dispose([x, g]);
  expect(tf.memory().numTensors).toBe(before.tensors);
  expect(dataIds()).toBe(before.data);
});
