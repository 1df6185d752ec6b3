import { initBackend, tf } from '../src';
import { dilatePad, type HeapViewBackend } from '../src/wasm-grad/dilate-pad';

beforeAll(async () => {
  await initBackend('wasm');
});

/** out[b, top + i*sh, left + j*sw, :] = x[b, i, j, :] where that lands inside, else 0. */
function reference(x: Float32Array, shape: number[], sh: number, sw: number, top: number, left: number, outH: number, outW: number): Float32Array {
  const [n, h, w, c] = shape as [number, number, number, number];
  const out = new Float32Array(n * outH * outW * c);
  for (let b = 0; b < n; b++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
    const r = top + i * sh;
    const q = left + j * sw;
    if (r < 0 || r >= outH || q < 0 || q >= outW) continue;
    for (let k = 0; k < c; k++) out[((b * outH + r) * outW + q) * c + k] = x[((b * h + i) * w + j) * c + k] as number;
  }
  return out;
}

test.each([
  { sh: 2, sw: 2, top: 0, left: 0, outH: 9, outW: 7 }, // the zero-dilation of a 5x4 grid
  { sh: 2, sw: 3, top: 1, left: 2, outH: 12, outW: 13 }, // dilated and padded
  { sh: 2, sw: 2, top: -1, left: -3, outH: 6, outW: 5 }, // cropped on the top/left, and the bottom/right
  { sh: 1, sw: 1, top: 2, left: 1, outH: 9, outW: 7 }, // plain padding (whole-row copies)
  { sh: 3, sw: 3, top: 20, left: 0, outH: 9, outW: 7 }, // nothing lands inside: all zeros
])('strides $sh,$sw offset $top,$left into $outH x $outW', ({ sh, sw, top, left, outH, outW }) => {
  const shape = [2, 5, 4, 3];
  const x = tf.tensor(Float32Array.from({ length: 120 }, (_, i) => i + 1), shape);
  const backend = tf.backend() as unknown as HeapViewBackend & { disposeData(id: object): boolean };
  const info = dilatePad(backend, x, sh, sw, top, left, outH, outW);
  const out = tf.engine().makeTensorFromTensorInfo(info);
  expect(out.shape).toEqual([2, outH, outW, 3]);
  expect(Array.from(out.dataSync())).toEqual(Array.from(reference(x.dataSync() as Float32Array, shape, sh, sw, top, left, outH, outW)));
  tf.dispose([x, out]);
});
