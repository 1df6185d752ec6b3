// Helpers for comparing the wasm kernels with the cpu backend in one process: inputs are plain
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
  const arrays = list.map((t) => t.dataSync() as Float32Array);
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
