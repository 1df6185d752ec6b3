// Helpers for comparing the wasm and WebGPU kernels with the cpu backend in one process: inputs are plain
// arrays from a seeded generator, so both backends see identical numbers.
import { tf } from '../src';

export function seededArray(size: number, seed: number): Float32Array {
  // Numerical Recipes LCG; values in [-1, 1).
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export interface Data { shape: number[]; values: Float32Array }

export function data(shape: number[], seed: number): Data {
  return { shape, values: seededArray(shape.reduce((a, b) => a * b, 1), seed) };
}

/** Runs fn on the given backend with fresh tensors from `inputs` and returns plain arrays. */
export async function onBackend(
  backend: string, inputs: Data[], fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<Float32Array[]> {
  const ok = await tf.setBackend(backend);
  if (!ok) throw new Error(`setBackend(${backend}) failed`);
  const xs = inputs.map((d) => tf.tensor(d.values, d.shape));
  const out = tf.tidy(() => fn(...xs));
  const list = Array.isArray(out) ? out : [out];
  // asynchronous reads: dataSync throws on WebGPU in Node
  const arrays = await Promise.all(list.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([...xs, ...list]);
  return arrays;
}

/** Largest |a - b| divided by (1 + largest |b|): a relative error that tolerates exact zeros. */
export function relError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let mag = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs((a[i] as number) - (b[i] as number)));
    mag = Math.max(mag, Math.abs(b[i] as number));
  }
  return diff / (1 + mag);
}

export type Pad = 'same' | 'valid';
export const strides = [1, 2];
export const pads: Pad[] = ['same', 'valid'];

export interface ConvCase { k: number; s: number; pad: Pad; batch: number; h: number; w: number }
/** Kernel sizes 1, 3, 5 x strides 1, 2 x both paddings, on odd, unequal spatial sizes; batch 1 or 3. */
export const convCases: ConvCase[] = [1, 3, 5].flatMap((k) => strides.flatMap((s) => pads.map((pad) => (
  { k, s, pad, batch: (k + s) % 2 === 0 ? 1 : 3, h: 9, w: 7 }))));

/** Max-pool inputs on a coarse grid (multiples of 1/4 in [-1, 1)), so windows hold ties. */
export function tiedPoolInput(batch: number, seed: number): Data {
  const x = data([batch, 9, 7, 5], seed);
  x.values.forEach((v, i, a) => { a[i] = Math.floor(v * 4) / 4; });
  return x;
}

/** A 5x5x2 input with NaN and -Infinity, a window of which holds only those. */
export function nanPoolInput(): Data {
  const x = data([1, 5, 5, 2], 91);
  [0, 1, 2, 6, 12, 13].forEach((i) => { x.values[i] = Number.NaN; });
  [3, 4, 10, 11].forEach((i) => { x.values[i] = -Infinity; });
  return x;
}

/** The gradient of maxPool under a non-uniform upstream gradient (a weight per output element). */
export function maxPoolGrad(k: number, s: number, pad: Pad): (x: tf.Tensor) => tf.Tensor[] {
  return (x) => tf.grads((a: tf.Tensor) => {
    const y = tf.maxPool(a as tf.Tensor4D, k, s, pad);
    return y.mul(tf.range(1, 1 + y.size).reshape(y.shape)).sum();
  })([x]);
}
