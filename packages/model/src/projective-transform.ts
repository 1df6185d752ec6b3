// Projective image transform with TensorFlow's exact sampling rules
// (tensorflow/core/kernels/image/image_ops.h: map_coordinate per fill mode, then nearest or
// bilinear reads where out-of-image neighbours read fill_value). tf.image.transform on the cpu
// backend follows these rules, but tfjs-backend-wasm 4.22's Transform kernel maps negative
// coordinates wrongly in 'reflect' mode (at (0,0) of a 4x4 image rotated by 0.3 rad it samples
// the bottom row where TF samples the top one), and reflect is what Keras' RandomRotation uses.
// So the source pixels and weights are computed here in JS (a few numbers per pixel) and the
// pixels are fetched with one tf.gather on whatever backend is active.
import { tf } from '@pawpipe/tf-backend';

export type FillMode = 'reflect' | 'wrap' | 'constant' | 'nearest';
export type Interpolation = 'bilinear' | 'nearest';

/** TF map_coordinate: where an out-of-range input coordinate reads from, per fill mode. */
export function mapCoordinate(coord: number, len: number, mode: FillMode): number {
  let c = coord;
  if (mode === 'constant') return c;
  if (mode === 'reflect') {
    // [abcd] -> [dcba|abcd|dcba]
    if (c < 0) {
      if (len <= 1) c = 0;
      else {
        const sz2 = 2 * len;
        if (c < sz2) c = sz2 * Math.trunc(-c / sz2) + c;
        c = c < -len ? c + sz2 : -c - 1;
      }
    } else if (c > len - 1) {
      if (len <= 1) c = 0;
      else {
        const sz2 = 2 * len;
        c -= sz2 * Math.trunc(c / sz2);
        if (c >= len) c = sz2 - c - 1;
      }
    }
  } else if (mode === 'wrap') {
    // [abcd] -> [abcd|abcd|abcd]
    if (c < 0) {
      if (len <= 1) c = 0;
      else c += len * (Math.trunc(-c / (len - 1)) + 1);
    } else if (c > len - 1) {
      if (len <= 1) c = 0;
      else c -= len * Math.trunc(c / (len - 1));
    }
  }
  return Math.min(Math.max(c, 0), len - 1);
}

/**
 * images [N, H, W, C]; transforms: N rows of [a0, a1, a2, b0, b1, b2, c0, c1] mapping output
 * (x, y) to input ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1.
 */
export function projectiveTransform(
  images: tf.Tensor4D, transforms: number[][], interpolation: Interpolation, fillMode: FillMode, fillValue = 0,
): tf.Tensor4D {
  const [n, h, w, ch] = images.shape;
  const taps = interpolation === 'bilinear' ? 4 : 1;
  const pixels = n * h * w;
  const fillIndex = pixels; // an extra row of fillValue for reads outside the image
  const index = new Int32Array(pixels * taps);
  const weight = new Float32Array(pixels * taps);
  const read = (b: number, y: number, x: number): number =>
    (y >= 0 && y < h && x >= 0 && x < w ? (b * h + y) * w + x : fillIndex);
  for (let b = 0; b < n; b++) {
    const t = transforms[b] as number[];
    const [a0, a1, a2, b0, b1, b2, c0, c1] = t as [number, number, number, number, number, number, number, number];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const k = c0 * x + c1 * y + 1;
        const sx = mapCoordinate((a0 * x + a1 * y + a2) / k, w, fillMode);
        const sy = mapCoordinate((b0 * x + b1 * y + b2) / k, h, fillMode);
        const o = ((b * h + y) * w + x) * taps;
        if (taps === 1) {
          // std::round: halves away from zero
          const rx = Math.sign(sx) * Math.round(Math.abs(sx));
          const ry = Math.sign(sy) * Math.round(Math.abs(sy));
          index[o] = read(b, ry, rx);
          weight[o] = 1;
          continue;
        }
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const fx = sx - x0;
        const fy = sy - y0;
        index[o] = read(b, y0, x0); weight[o] = (1 - fy) * (1 - fx);
        index[o + 1] = read(b, y0, x0 + 1); weight[o + 1] = (1 - fy) * fx;
        index[o + 2] = read(b, y0 + 1, x0); weight[o + 2] = fy * (1 - fx);
        index[o + 3] = read(b, y0 + 1, x0 + 1); weight[o + 3] = fy * fx;
      }
    }
  }
  return tf.tidy(() => {
    const flat = tf.concat([images.reshape([pixels, ch]), tf.fill([1, ch], fillValue)]);
    const gathered = tf.gather(flat, tf.tensor1d(index, 'int32')).reshape([pixels, taps, ch]);
    const mixed = taps === 1 ? gathered : gathered.mul(tf.tensor3d(weight, [pixels, taps, 1])).sum(1);
    return mixed.reshape([n, h, w, ch]) as tf.Tensor4D;
  });
}
