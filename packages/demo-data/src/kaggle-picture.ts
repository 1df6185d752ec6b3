/**
 * One file of a Kaggle-shaped folder: a photo-like picture of the class' animal head at its
 * planned size, with its planned header and colour, or its planned breakage.
 * Drawn at half its size and scaled up (bilinear) with luma grain in the same pass, for at least
 * 300 files/s on two cores (387 measured at 25,000 files): drawing every pixel of a 500x375
 * picture costs 8.5 ms and resizing it with sharp 5-12 ms, more than the whole budget.
 */
import { promises as fsp } from 'node:fs';
import sharp from 'sharp';
import { drawPicture } from './draw';
import { withExifOnly, withJfif } from './jpeg-bytes';
import { kaggleRng, planKaggleFile, type KaggleRates } from './kaggle-plan';
import { Rng } from './rng';
import { SHAPES } from './shapes';

export interface KaggleJob {
  seed: number;
  classSeed: number;
  cls: number;
  n: number;
  file: string;
  rates?: KaggleRates;
}

/**
 * Bilinear upscale of interleaved RGB (half-pixel centres) with luma grain added in the same
 * pass: photo-like texture at the full size for the price of one loop (sharp's resize costs
 * more than the whole JS pass on a 500x375 picture).
 */
export function upscaleWithGrain(src: Uint8Array | Buffer, sw: number, sh: number, dw: number, dh: number, rng: Rng, grain: number): Buffer {
  // Uint8ClampedArray rounds and clamps on store; weights in 8-bit fixed point keep the loop integer.
  const out = new Uint8ClampedArray(dw * dh * 3);
  const x0 = new Int32Array(dw);
  const dx = new Int32Array(dw);
  const wx = new Int32Array(dw);
  for (let x = 0; x < dw; x++) {
    const s = Math.min(Math.max(((x + 0.5) * sw) / dw - 0.5, 0), sw - 1);
    const i = Math.floor(s);
    x0[x] = i * 3;
    dx[x] = (Math.min(i + 1, sw - 1) - i) * 3;
    wx[x] = Math.round((s - i) * 256);
  }
  // Each source row is interpolated horizontally once (8-bit fixed point, at most 255 * 256) and
  // kept while the output rows between it and the next one are blended: two taps per output
  // value instead of four, the same integer arithmetic (and bytes) as blending all four at once.
  const n3 = dw * 3;
  let lo = new Uint16Array(n3);
  let hi = new Uint16Array(n3);
  let loRow = -1;
  let hiRow = -1;
  const horizontal = (row: number, into: Uint16Array) => {
    const base = row * sw * 3;
    for (let x = 0, o = 0; x < dw; x++, o += 3) {
      const a = base + x0[x]!;
      const d = dx[x]!;
      const w = wx[x]!;
      const v = 256 - w;
      into[o] = src[a]! * v + src[a + d]! * w;
      into[o + 1] = src[a + 1]! * v + src[a + 1 + d]! * w;
      into[o + 2] = src[a + 2]! * v + src[a + 2 + d]! * w;
    }
  };
  let r = rng.u32() | 1;
  const amp = Math.round(grain * 2);
  for (let y = 0; y < dh; y++) {
    const s = Math.min(Math.max(((y + 0.5) * sh) / dh - 0.5, 0), sh - 1);
    const i = Math.floor(s);
    const i1 = Math.min(i + 1, sh - 1);
    if (loRow !== i) {
      if (hiRow === i) {
        [lo, hi] = [hi, lo];
        [loRow, hiRow] = [hiRow, loRow];
      } else {
        horizontal(i, lo);
        loRow = i;
      }
    }
    if (i1 !== loRow && hiRow !== i1) {
      horizontal(i1, hi);
      hiRow = i1;
    }
    const top = lo;
    const bottom = i1 === loRow ? lo : hi;
    const wy = Math.round((s - i) * 256);
    const vy = 256 - wy;
    let o = y * n3;
    for (let k = 0; k < n3; k += 3, o += 3) {
      r ^= r << 13;
      r ^= r >>> 17;
      r ^= r << 5;
      // Grain in [-amp/2, amp/2] levels, the same on the three channels (luma noise).
      const n = (((r & 255) - 128) * amp) >> 8;
      out[o] = ((top[k]! * vy + bottom[k]! * wy) >> 16) + n;
      out[o + 1] = ((top[k + 1]! * vy + bottom[k + 1]! * wy) >> 16) + n;
      out[o + 2] = ((top[k + 2]! * vy + bottom[k + 2]! * wy) >> 16) + n;
    }
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** The bytes of one planned file. */
export async function kaggleFileBytes(job: KaggleJob): Promise<Buffer> {
  const rng = kaggleRng(job.seed, job.classSeed, job.cls, job.n);
  const plan = planKaggleFile(rng, job.cls, job.n, job.rates);
  if (plan.broken === 'empty') return Buffer.alloc(0);
  if (plan.broken === 'random-bytes') return rng.bytes(rng.int(2000, 30000));
  const small = { width: Math.max(24, Math.round(plan.width / 2)), height: Math.max(24, Math.round(plan.height / 2)) };
  const pic = drawPicture(SHAPES[job.cls]!, rng, small);
  const full = upscaleWithGrain(pic.rgb, pic.width, pic.height, plan.width, plan.height, rng, rng.range(4, 12));
  let img = sharp(full, { raw: { width: plan.width, height: plan.height, channels: 3 } });
  if (plan.colour === 'greyscale') img = img.toColourspace('b-w');
  if (plan.colour === 'cmyk') img = img.toColourspace('cmyk');
  // optimiseCoding off: libjpeg's default Huffman tables, as most cameras write them (and faster).
  let jpeg: Buffer = await img.jpeg({ quality: plan.quality, optimiseCoding: false }).toBuffer();
  // CMYK from libvips carries an Adobe segment; a JFIF one would claim YCbCr, so none is added.
  if (plan.header === 'exif-only') jpeg = withExifOnly(jpeg);
  else if (plan.colour !== 'cmyk') jpeg = withJfif(jpeg);
  if (plan.broken === 'truncated') jpeg = jpeg.subarray(0, Math.floor(jpeg.length * rng.range(0.35, 0.85)));
  return jpeg;
}

export async function makeKaggleFile(job: KaggleJob): Promise<void> {
  await fsp.writeFile(job.file, await kaggleFileBytes(job));
}
