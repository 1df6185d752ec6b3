import type { LabelMode } from './options';

/**
 * Keras label encodings as float32: 'int' class ids, 'binary' 0/1 (Keras shape (n, 1)),
 * 'categorical' one-hot rows of length `numClasses`.
 */
export function encodeLabels(labels: readonly number[], mode: LabelMode, numClasses: number): Float32Array {
  if (mode !== 'categorical') return Float32Array.from(labels);
  const out = new Float32Array(labels.length * numClasses);
  labels.forEach((l, i) => {
    out[i * numClasses + l] = 1;
  });
  return out;
}
