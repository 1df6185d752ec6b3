import { drawAugmentation, flipImage, rotateImage } from '../src/augment';
import { MT19937 } from '../src/mt19937';

/** 1-channel w x h image with pixel (x, y) = f(x, y). */
function img(w: number, h: number, f: (x: number, y: number) => number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = f(x, y);
  return out;
}
const at = (a: Uint8Array, w: number, x: number, y: number) => a[y * w + x]!;

describe('RandomFlip', () => {
  it('mirrors left-right, top-bottom, or both', () => {
    const a = img(3, 2, (x, y) => 10 * y + x); // [0 1 2; 10 11 12]
    const h = Uint8Array.from(a);
    flipImage(h, 3, 2, 1, true, false);
    expect([...h]).toEqual([2, 1, 0, 12, 11, 10]);
    const v = Uint8Array.from(a);
    flipImage(v, 3, 2, 1, false, true);
    expect([...v]).toEqual([10, 11, 12, 0, 1, 2]);
    const rgb = Uint8Array.from([1, 2, 3, 4, 5, 6]); // two RGB pixels
    flipImage(rgb, 2, 1, 3, true, false);
    expect([...rgb]).toEqual([4, 5, 6, 1, 2, 3]);
  });
});

describe('RandomRotation (TF ImageProjectiveTransform, reflect, bilinear)', () => {
  it('turning by pi equals flipping both ways', () => {
    const a = img(5, 4, (x, y) => 40 * y + 7 * x);
    const flipped = Uint8Array.from(a);
    flipImage(flipped, 5, 4, 1, true, true);
    expect([...rotateImage(a, 5, 4, 1, Math.PI)]).toEqual([...flipped]);
  });

  it('a quarter turn maps output (x, y) to input (w-1-y, x) on a square', () => {
    const a = img(5, 5, (x, y) => 50 * y + 3 * x);
    const r = rotateImage(a, 5, 5, 1, Math.PI / 2);
    for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) expect(at(r, 5, x, y)).toBe(at(a, 5, 4 - y, x));
  });

  it('samples a rotated ramp where the matrix says, reflecting outside the image', () => {
    // p(x, y) = 10x + 100y is linear, so bilinear sampling returns it exactly.
    const a = img(3, 3, (x, y) => 10 * x + 100 * y);
    const r = rotateImage(a, 3, 3, 1, Math.PI / 4);
    // Matrix for 45 degrees on 3x3: ox = 1 - c + s = 1, oy = 1 - s - c = -0.41421.
    expect(at(r, 3, 1, 1)).toBe(110); // the centre stays
    // out(1, 0) reads (c + 1, s - 0.41421) = (1.70711, 0.29289): 17.07 + 29.29 = 46.36
    expect(at(r, 3, 1, 0)).toBe(46);
    // out(0, 0) reads (1, -0.41421); REFLECT gives -(-0.41421) - 1 < 0, clamped to row 0.
    expect(at(r, 3, 0, 0)).toBe(10);
  });

  it('leaves an image alone at angle 0 and keeps 3 channels apart', () => {
    const rgb = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256);
    expect([...rotateImage(rgb, 4, 3, 3, 0)]).toEqual([...rgb]);
  });
});

describe('drawAugmentation', () => {
  it('is deterministic per stream and keeps angles within ±factor·2π', () => {
    const a = MT19937.fromArray([1, 2, 3]);
    const b = MT19937.fromArray([1, 2, 3]);
    const opts = { flip: 'horizontal' as const, rotation: 0.1 };
    const angles: number[] = [];
    let flips = 0;
    for (let i = 0; i < 200; i++) {
      const x = drawAugmentation(a, opts);
      expect(drawAugmentation(b, opts)).toEqual(x);
      expect(x.flipVertical).toBe(false);
      if (x.flipHorizontal) flips++;
      angles.push(x.angle);
    }
    expect(Math.max(...angles.map(Math.abs))).toBeLessThanOrEqual(0.1 * 2 * Math.PI);
    expect(Math.max(...angles)).toBeGreaterThan(0.5);
    expect(Math.min(...angles)).toBeLessThan(-0.5);
    expect(flips).toBeGreaterThan(70);
    expect(flips).toBeLessThan(130);
  });

  it('accepts a [lower, upper] range like Keras', () => {
    const r = MT19937.fromSeed(3);
    for (let i = 0; i < 50; i++) {
      const { angle } = drawAugmentation(r, { rotation: [0.1, 0.2] });
      expect(angle).toBeGreaterThanOrEqual(0.1 * 2 * Math.PI);
      expect(angle).toBeLessThanOrEqual(0.2 * 2 * Math.PI);
    }
  });
});

/** TF ImageProjectiveTransformV3 (REFLECT, BILINEAR) written plainly in float, for comparison. */
function referenceRotate(src: Uint8Array, w: number, h: number, angle: number): Float64Array {
  const cos = Math.fround(Math.cos(angle));
  const sin = Math.fround(Math.sin(angle));
  const ox = Math.fround((w - 1 - (cos * (w - 1) - sin * (h - 1))) / 2);
  const oy = Math.fround((h - 1 - (sin * (w - 1) + cos * (h - 1))) / 2);
  const map = (v: number, len: number) => {
    if (v < 0) {
      const sz2 = 2 * len;
      if (v < sz2) v = sz2 * Math.trunc(-v / sz2) + v;
      v = v < -len ? v + sz2 : -v - 1;
    } else if (v > len - 1) {
      const sz2 = 2 * len;
      v -= sz2 * Math.trunc(v / sz2);
      if (v >= len) v = sz2 - v - 1;
    }
    return Math.min(Math.max(v, 0), len - 1);
  };
  const read = (x: number, y: number, k: number) => (x < w && y < h ? src[(y * w + x) * 3 + k]! : 0);
  const out = new Float64Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const ix = map(cos * x - sin * y + ox, w);
      const iy = map(sin * x + cos * y + oy, h);
      const x0 = Math.floor(ix);
      const y0 = Math.floor(iy);
      for (let k = 0; k < 3; k++) {
        const top = (x0 + 1 - ix) * read(x0, y0, k) + (ix - x0) * read(x0 + 1, y0, k);
        const bot = (x0 + 1 - ix) * read(x0, y0 + 1, k) + (ix - x0) * read(x0 + 1, y0 + 1, k);
        out[(y * w + x) * 3 + k] = (y0 + 1 - iy) * top + (iy - y0) * bot;
      }
    }
  }
  return out;
}

describe('rotation against a plain float transcription of TF', () => {
  const w = 23;
  const h = 17;
  const rng = MT19937.fromSeed(9);
  const src = Uint8Array.from({ length: w * h * 3 }, () => rng.nextUint32() & 255);

  it.each([0.3, -0.62, 1.9, -2.8, 3.1])('is within one level at %f rad', (angle) => {
    const ours = rotateImage(src, w, h, 3, angle);
    const ref = referenceRotate(src, w, h, angle);
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - ref[i]!));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('folds flips into the matrix: same as flipping first', () => {
    for (const [fh, fv] of [[true, false], [false, true], [true, true]] as const) {
      const flipped = Uint8Array.from(src);
      flipImage(flipped, w, h, 3, fh, fv);
      const twoPass = rotateImage(flipped, w, h, 3, 0.4);
      const onePass = rotateImage(src, w, h, 3, 0.4, undefined, fh, fv);
      let worst = 0;
      for (let i = 0; i < src.length; i++) worst = Math.max(worst, Math.abs(onePass[i]! - twoPass[i]!));
      expect(worst).toBeLessThanOrEqual(1);
    }
  });
});
