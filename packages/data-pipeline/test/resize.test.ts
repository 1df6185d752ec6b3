import { cropWindowForAspect, resizeImage, type RawImage } from '../src/resize';

const row = (values: number[]): RawImage => ({ data: Uint8Array.from(values), width: values.length, height: 1, channels: 1 });
const rs = (values: number[], outW: number, method: Parameters<typeof resizeImage>[3]) => [...resizeImage(row(values), 1, outW, method)];

// Expected values worked out by hand from TF's kernels (see the comments in src/resize.ts).
describe('resize = tf.image.resize (antialias=False)', () => {
  it('bilinear uses half-pixel centres', () => {
    // out i samples (i + 0.5) * scale - 0.5: 0.5 and 2.5 -> midpoints of pairs.
    expect(rs([0, 100, 200, 50], 2, 'bilinear')).toEqual([50, 125]);
    // -0.25 clamps to pixel 0, 0.25, 0.75, 1.25 clamps to pixel 1.
    expect(rs([0, 200], 4, 'bilinear')).toEqual([0, 50, 150, 200]);
  });

  it('bilinear works in 2-D and per channel', () => {
    const img: RawImage = { data: Uint8Array.from([0, 10, 20, 100, 110, 120, 200, 210, 220, 255, 0, 0]), width: 2, height: 2, channels: 3 };
    // 2x2 -> 1x1 samples (0.5, 0.5): the mean of the four pixels per channel.
    expect([...resizeImage(img, 1, 1, 'bilinear')]).toEqual([Math.round((0 + 100 + 200 + 255) / 4), Math.round((10 + 110 + 210) / 4), Math.round((20 + 120 + 220) / 4)]);
  });

  it('nearest takes floor((i + 0.5) * scale)', () => {
    expect(rs([10, 20], 4, 'nearest')).toEqual([10, 10, 20, 20]);
    expect(rs([1, 2, 3, 4], 2, 'nearest')).toEqual([2, 4]);
  });

  it('area averages covered cells by covered fraction', () => {
    expect(rs([0, 100, 200, 50], 2, 'area')).toEqual([50, 125]);
    // scale 1.5: (30 + 0.5 * 60) / 1.5 and (0.5 * 60 + 90) / 1.5
    expect(rs([30, 60, 90], 2, 'area')).toEqual([40, 80]);
  });

  it('bicubic is Keys a = -0.5 with out-of-range taps dropped and renormalised', () => {
    expect(rs([7, 99, 250], 3, 'bicubic')).toEqual([7, 99, 250]); // same size: identity
    expect(rs([100, 200], 4, 'bicubic')).toEqual([91, 121, 179, 209]);
    expect(rs([0, 170], 4, 'bicubic')[0]).toBe(0); // overshoot below 0 clamps
  });

  it('crops the centred window with the target aspect ratio (Keras smart_resize)', () => {
    expect(cropWindowForAspect(500, 375, 180, 180)).toEqual({ x: 62, y: 0, width: 375, height: 375 });
    expect(cropWindowForAspect(300, 600, 100, 200)).toEqual({ x: 0, y: 225, width: 300, height: 150 });
    const img = row([1, 2, 3, 4, 5, 6]);
    const win = cropWindowForAspect(6, 1, 1, 2); // 2 wide for 1 high: the middle two
    expect(win).toEqual({ x: 2, y: 0, width: 2, height: 1 });
    expect([...resizeImage(img, 1, 2, 'nearest', win)]).toEqual([3, 4]);
  });
});
