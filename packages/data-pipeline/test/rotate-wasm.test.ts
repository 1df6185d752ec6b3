import { rotateImage, rotationKernel } from '../src/augment';
import { MT19937 } from '../src/mt19937';
import { ROTATE_WASM_BASE64 } from '../src/rotate-wasm';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compileRotateWat } = require('../scripts/gen-rotate-wasm.js') as { compileRotateWat: () => Promise<Buffer> };

describe('the WebAssembly rotation kernel', () => {
  it('is src/rotate.wat compiled (run `pnpm gen:wasm` after editing the .wat)', async () => {
    const bytes = await compileRotateWat();
    expect(bytes.toString('base64')).toBe(ROTATE_WASM_BASE64);
  });

  it('loads on Node 20 (WebAssembly SIMD)', () => {
    expect(rotationKernel()).toBe('wasm-simd');
  });

  it('gives the same bytes as the JS loop for any angle and flip', () => {
    const rng = MT19937.fromSeed(77);
    for (const [w, h] of [[180, 180], [31, 17], [2, 9]] as const) {
      const src = Uint8Array.from({ length: w * h * 3 }, () => rng.nextUint32() & 255);
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
});
