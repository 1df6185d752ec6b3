import { rotateImage, rotationKernel } from '../src/augment';
import { MT19937 } from '../src/mt19937';
import { cropWindowForAspect, resizeImage, resizeKernelName } from '../src/resize';
import { RESIZE_WASM_BASE64, ROTATE_WASM_BASE64 } from '../src/wasm-kernels';

// The generator is a plain Node script (it also runs as `pnpm gen:wasm`).
const { compileKernels } = require('../scripts/gen-wasm-kernels.js') as { compileKernels: () => Promise<Record<string, string>> };

const rng = MT19937.fromSeed(77);
const randomImage = (w: number, h: number) => Uint8Array.from({ length: w * h * 3 }, () => rng.nextUint32() & 255);

describe('the WebAssembly SIMD kernels', () => {
  it('are src/*.wat compiled (run `pnpm gen:wasm` after editing a .wat)', async () => {
    expect(await compileKernels()).toEqual({ ROTATE_WASM_BASE64, RESIZE_WASM_BASE64 });
  });

  it('load on Node 20', () => {
    expect(rotationKernel()).toBe('wasm-simd');
    expect(resizeKernelName()).toBe('wasm-simd');
  });

  it('rotate to the same bytes as the JS loop for any angle and flip', () => {
    for (const [w, h] of [[180, 180], [31, 17], [2, 9]] as const) {
      const src = randomImage(w, h);
      for (let i = 0; i < 12; i++) {
        const angle = (rng.nextDouble() - 0.5) * 2 * Math.PI;
        const fh = rng.nextDouble() < 0.5;
        const fv = rng.nextDouble() < 0.5;
        const viaAuto = rotateImage(src, w, h, 3, angle, undefined, fh, fv);
        const viaJs = rotateImage(src, w, h, 3, angle, undefined, fh, fv, 'js');
        expect(Buffer.from(viaAuto).equals(Buffer.from(viaJs))).toBe(true);
      }
    }
  });

  it('resize (bilinear) to the same bytes as the float32 JS loop, down, up and cropped', () => {
    // Down, up (rows shared by consecutive output rows), 1-pixel sides, and a sweep of the
    // shrunk-decode sizes that meet 180x180 (the kernel caches two source rows at a time).
    const cases: Array<readonly [number, number, number, number]> = [[500, 375, 180, 180], [37, 23, 64, 50], [9, 300, 12, 5], [1, 1, 7, 3], [5, 1, 2, 9], [250, 187, 180, 180], [187, 250, 180, 180]];
    for (let k = 0; k < 12; k++) cases.push([180 + ((k * 37) % 140), 180 + ((k * 53) % 130), 180, 180]);
    for (const [w, h, oh, ow] of cases) {
      const img = { data: randomImage(w, h), width: w, height: h, channels: 3 };
      const plain = [resizeImage(img, oh, ow, 'bilinear'), resizeImage(img, oh, ow, 'bilinear', undefined, undefined, 'js')];
      expect(Buffer.from(plain[0]!).equals(Buffer.from(plain[1]!))).toBe(true);
      const win = cropWindowForAspect(w, h, oh, ow);
      if (win.width === 0 || win.height === 0) continue; // a 1x1 image cut to 7:3 has no window
      const cropped = [resizeImage(img, oh, ow, 'bilinear', win), resizeImage(img, oh, ow, 'bilinear', win, undefined, 'js')];
      expect(Buffer.from(cropped[0]!).equals(Buffer.from(cropped[1]!))).toBe(true);
    }
  });
});
