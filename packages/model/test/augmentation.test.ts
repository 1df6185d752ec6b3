import { initBackend, tf } from '@pawpipe/tf-backend';
import { projectiveTransform, RandomFlip, randomFlip, RandomRotation, randomRotation, rotationMatrix } from '../src';

beforeAll(async () => {
  await initBackend('wasm');
});

// 4x4 single-channel ramp: value = 10 * row + col
const ramp = (): tf.Tensor4D => tf.tensor4d(Array.from({ length: 16 }, (_, i) => 10 * Math.floor(i / 4) + (i % 4)), [1, 4, 4, 1]);
const grid = (t: tf.Tensor): number[][] => (t.reshape([4, 4]).arraySync() as number[][]);

describe('RandomFlip', () => {
  test('is the identity at inference', () => {
    const x = ramp();
    const y = randomFlip({ mode: 'horizontal_and_vertical', seed: 1 }).apply(x, { training: false }) as tf.Tensor;
    expect(grid(y)).toEqual(grid(x));
  });

  test('horizontal flip of a ramp reverses each row; vertical reverses the rows', () => {
    const layer = randomFlip({ mode: 'horizontal', seed: 3 });
    const x = ramp();
    // find a draw that flips (probability 0.5 per image), then check the pixels exactly
    const batch = tf.concat(Array.from({ length: 8 }, () => x)) as tf.Tensor4D;
    const out = layer.apply(batch, { training: true }) as tf.Tensor4D;
    const images = tf.unstack(out).map((t) => grid(t));
    const row = [0, 1, 2, 3];
    const flipped = images.filter((g) => g[0]!.join() === [...row].reverse().join());
    const kept = images.filter((g) => g[0]!.join() === row.join());
    expect(flipped.length + kept.length).toBe(8);
    expect(flipped.length).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);
    expect(flipped[0]).toEqual([[3, 2, 1, 0], [13, 12, 11, 10], [23, 22, 21, 20], [33, 32, 31, 30]]);

    const v = randomFlip({ mode: 'vertical', seed: 3 }).apply(batch, { training: true }) as tf.Tensor4D;
    const vImages = tf.unstack(v).map((t) => grid(t));
    expect(vImages.some((g) => g[0]!.join() === '30,31,32,33')).toBe(true);
    expect(vImages.every((g) => g[0]!.join() === '30,31,32,33' || g[0]!.join() === '0,1,2,3')).toBe(true);
  });

  test('the same seed gives the same flips; the draws are about half', () => {
    const a = new RandomFlip({ seed: 42 }).draw(1000);
    const b = new RandomFlip({ seed: 42 }).draw(1000);
    expect(a).toEqual(b);
    const share = a.filter((d) => d[0] === 1).length / 1000;
    expect(share).toBeGreaterThan(0.45);
    expect(share).toBeLessThan(0.55);
    expect(new RandomFlip({ seed: 43 }).draw(1000)).not.toEqual(a);
  });

  test('rejects an unknown mode', () => {
    expect(() => randomFlip({ mode: 'diagonal' as never })).toThrow(/mode must be one of/);
  });
});

describe('RandomRotation', () => {
  test('is the identity at inference', () => {
    const x = ramp();
    const y = randomRotation({ factor: 0.25, seed: 1 }).apply(x, { training: false }) as tf.Tensor;
    expect(grid(y)).toEqual(grid(x));
  });

  test('a quarter turn (factor [0.25, 0.25]) rotates the ramp 90 degrees counter-clockwise', () => {
    const y = randomRotation({ factor: [0.25, 0.25], seed: 1 }).apply(ramp(), { training: true }) as tf.Tensor;
    // out(x, y) = in(cos*x - sin*y + ox, sin*x + cos*y + oy) with angle pi/2: out[r][c] = in[c][3 - r]
    const want = [[3, 13, 23, 33], [2, 12, 22, 32], [1, 11, 21, 31], [0, 10, 20, 30]];
    grid(y).forEach((row, r) => row.forEach((v, c) => expect(v).toBeCloseTo(want[r]![c]!, 3)));
  });

  test('a small angle matches bilinear sampling with reflect fill computed by hand', () => {
    const angle = 0.3;
    const factor = angle / (2 * Math.PI);
    const y = grid(randomRotation({ factor: [factor, factor], seed: 1 }).apply(ramp(), { training: true }) as tf.Tensor);
    const m = rotationMatrix(angle, 4, 4);
    // TF ImageProjectiveTransformV3 map_coordinate, FILL_REFLECT (d c b a | a b c d | d c b a),
    // then clamped into the image before the bilinear read
    const reflect = (v: number, n: number): number => {
      let t = v;
      const sz2 = 2 * n;
      if (t < 0) {
        if (t < -sz2) t = sz2 * Math.trunc(-t / sz2) + t;
        t = t < -n ? t + sz2 : -t - 1;
      } else if (t > n - 1) {
        t -= sz2 * Math.trunc(t / sz2);
        if (t >= n) t = sz2 - t - 1;
      }
      return Math.min(Math.max(t, 0), n - 1);
    };
    const px = (r: number, c: number): number => 10 * r + c;
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 4; c++) {
        const sx = reflect(m[0]! * c + m[1]! * r + m[2]!, 4);
        const sy = reflect(m[3]! * c + m[4]! * r + m[5]!, 4);
        const x0 = Math.floor(sx); const y0 = Math.floor(sy);
        const x1 = Math.min(x0 + 1, 3); const y1 = Math.min(y0 + 1, 3);
        const fx = sx - x0; const fy = sy - y0;
        const want = (1 - fy) * ((1 - fx) * px(y0, x0) + fx * px(y0, x1)) + fy * ((1 - fx) * px(y1, x0) + fx * px(y1, x1));
        expect(y[r]![c]!).toBeCloseTo(want, 3);
      }
    }
  });

  test('angles are uniform in +-factor*2pi and seeded', () => {
    const a = new RandomRotation({ factor: 0.1, seed: 9 }).draw(2000);
    expect(a).toEqual(new RandomRotation({ factor: 0.1, seed: 9 }).draw(2000));
    expect(Math.max(...a)).toBeLessThanOrEqual(0.2 * Math.PI);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-0.2 * Math.PI);
    expect(Math.max(...a)).toBeGreaterThan(0.19 * Math.PI);
    expect(Math.abs(a.reduce((s, v) => s + v, 0) / a.length)).toBeLessThan(0.03);
  });

  test('seeded training outputs repeat exactly', () => {
    const x = tf.randomUniform([3, 8, 8, 3], 0, 255, 'float32', 5);
    const run = (): number[] => Array.from((randomRotation({ factor: 0.1, seed: 77 }).apply(x, { training: true }) as tf.Tensor).dataSync());
    expect(run()).toEqual(run());
  });
});

describe('projectiveTransform (the sampler behind RandomRotation)', () => {
  // tf.image.transform on the cpu backend implements TF's ImageProjectiveTransformV3 rules;
  // wasm's Transform kernel differs in 'reflect', which is why the layer does not use it.
  // (The cpu kernel returns from inside its batch loop, so it only transforms image 0 of a
  // batch: the reference is computed one image at a time.)
  test.each(['reflect', 'wrap', 'constant', 'nearest'] as const)('matches tf.image.transform on cpu, fill %s', async (fill) => {
    const values = Array.from({ length: 2 * 7 * 9 * 3 }, (_, i) => (i * 37) % 255);
    const angles = [0.7, -2.2];
    const mats = angles.map((a) => rotationMatrix(a, 7, 9));
    const run = (interp: 'bilinear' | 'nearest'): { ours: number[]; ref: number[] } => {
      const x = tf.tensor4d(values, [2, 7, 9, 3]);
      const ours = Array.from(projectiveTransform(x, mats, interp, fill, 5).dataSync());
      return { ours, ref: [] };
    };
    await tf.setBackend('wasm');
    const bil = run('bilinear');
    const near = run('nearest');
    await tf.setBackend('cpu');
    const x = tf.tensor4d(values, [2, 7, 9, 3]);
    const ref = (interp: 'bilinear' | 'nearest'): number[] => [0, 1].flatMap((b) => Array.from(tf.image.transform(
      x.slice([b, 0, 0, 0], [1, 7, 9, 3]), tf.tensor2d([mats[b]!]), interp, fill, 5).dataSync()));
    const refBil = ref('bilinear');
    const refNear = ref('nearest');
    await tf.setBackend('wasm');
    bil.ours.forEach((v, i) => expect(Math.abs(v - (refBil[i] as number))).toBeLessThan(1e-3));
    near.ours.forEach((v, i) => expect(v).toBe(refNear[i]));
  });
});
