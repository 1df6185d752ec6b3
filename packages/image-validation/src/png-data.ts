/**
 * What a PNG decoder tolerates but reports: compressed data left over in IDAT after the image
 * (libpng's "Extra compressed data" / "Too much image data"), and APNG frame sequences that break
 * the APNG specification (acTL / fcTL / fdAT; https://wiki.mozilla.org/APNG_Specification).
 * libvips (spng) decodes both without a word; ImageMagick and Pillow complain.
 */
import { createInflate } from 'node:zlib';

interface Chunk {
  type: string;
  /** Offset of the chunk's data. */
  at: number;
  length: number;
}

const u32be = (b: Uint8Array, at: number) => ((b[at]! << 24) >>> 0) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);

/** The chunks of a PNG whose structure (lengths, CRCs, IEND) was already checked. */
function chunks(data: Uint8Array): Chunk[] {
  const out: Chunk[] = [];
  for (let p = 8; p + 12 <= data.length; ) {
    const length = u32be(data, p);
    const type = Buffer.from(data.subarray(p + 4, p + 8)).toString('latin1');
    if (p + 12 + length > data.length) break;
    out.push({ type, at: p + 8, length });
    if (type === 'IEND') break;
    p += 12 + length;
  }
  return out;
}

/** PNG colour type -> samples per pixel (PNG spec 11.2.2). */
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Bytes of filtered scanlines the image needs (a filter byte per row; Adam7 passes when interlaced). */
function rawSize(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (w: number, h: number) => (w === 0 || h === 0 ? 0 : h * (1 + Math.ceil((w * bitsPerPixel) / 8)));
  if (!interlaced) return rows(width, height);
  // Adam7: [x0, y0, dx, dy] per pass.
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;
  return passes.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil(Math.max(0, width - x0) / dx), Math.ceil(Math.max(0, height - y0) / dy)), 0);
}

/**
 * Inflates the IDAT stream without keeping it (counting bytes only) and reports data after the
 * zlib stream's end, or more scanline bytes than the image needs. Undefined when neither.
 */
export async function idatWarning(data: Uint8Array): Promise<string | undefined> {
  const list = chunks(data);
  const ihdr = list[0];
  if (!ihdr || ihdr.type !== 'IHDR' || ihdr.length < 13) return undefined;
  const width = u32be(data, ihdr.at);
  const height = u32be(data, ihdr.at + 4);
  const samples = SAMPLES[data[ihdr.at + 9]!];
  if (samples === undefined) return undefined;
  const need = rawSize(width, height, samples * data[ihdr.at + 8]!, data[ihdr.at + 12] === 1);
  const idat = list.filter((c) => c.type === 'IDAT');
  if (idat.length === 0) return undefined;
  const stream = Buffer.concat(idat.map((c) => data.subarray(c.at, c.at + c.length)));
  const { produced, consumed, error } = await inflateCount(stream);
  if (error) return undefined; // a stream that does not inflate is for the pixel decode to call damaged
  if (consumed < stream.length) {
    return `extra compressed data in IDAT: ${stream.length - consumed} bytes after the end of the image's zlib stream`;
  }
  if (produced > need) return `too much image data in IDAT: it inflates to ${produced} bytes, the ${width}x${height} image needs ${need}`;
  return undefined;
}

function inflateCount(stream: Buffer): Promise<{ produced: number; consumed: number; error?: Error }> {
  return new Promise((resolve) => {
    const z = createInflate();
    let produced = 0;
    z.on('data', (d: Buffer) => {
      produced += d.length;
    });
    z.on('end', () => resolve({ produced, consumed: z.bytesWritten }));
    z.on('error', (error) => resolve({ produced, consumed: z.bytesWritten, error }));
    z.end(stream);
  });
}

/** APNG's frame control: an fcTL's fields (APNG spec, "fcTL: The Frame Control Chunk"). */
interface FrameControl {
  seq: number;
  width: number;
  height: number;
  x: number;
  y: number;
}

/**
 * Checks an APNG's frames: sequence numbers over fcTL and fdAT count up from 0, every frame has an
 * fcTL followed by data, the frame count matches acTL, frames fit the canvas, and the default
 * image's fcTL (before IDAT) covers the whole canvas. Undefined for a sound APNG or a plain PNG.
 */
export function apngProblem(data: Uint8Array): string | undefined {
  const list = chunks(data);
  const ihdr = list[0];
  if (!ihdr || ihdr.type !== 'IHDR') return undefined;
  const canvasW = u32be(data, ihdr.at);
  const canvasH = u32be(data, ihdr.at + 4);
  const actl = list.find((c) => c.type === 'acTL');
  const hasFrames = list.some((c) => c.type === 'fcTL' || c.type === 'fdAT');
  if (!actl) return hasFrames ? 'APNG frame chunks (fcTL/fdAT) without an animation control chunk (acTL)' : undefined;
  const bad = (why: string) => `broken APNG frame sequence: ${why}`;
  if (actl.length < 8) return bad('the acTL chunk is too short');
  const declared = u32be(data, actl.at);
  if (declared === 0) return bad('acTL declares 0 frames');
  const firstIdat = list.findIndex((c) => c.type === 'IDAT');
  if (list.indexOf(actl) > firstIdat) return bad('the acTL chunk comes after the image data');
  let expectSeq = 0;
  let frames = 0;
  let current: FrameControl | undefined;
  let currentHasData = false;
  for (const [i, c] of list.entries()) {
    if (c.type !== 'fcTL' && c.type !== 'fdAT' && c.type !== 'IDAT') continue;
    if (c.type === 'IDAT') {
      if (current) currentHasData = true; // an fcTL before IDAT makes the default image frame 0
      continue;
    }
    if (c.length < 4) return bad(`a ${c.type} chunk is too short`);
    const seq = u32be(data, c.at);
    if (seq !== expectSeq) return bad(`${c.type} chunk has sequence number ${seq}, expected ${expectSeq}`);
    expectSeq++;
    if (c.type === 'fdAT') {
      if (!current) return bad('frame data (fdAT) before any frame control (fcTL)');
      if (i < firstIdat) return bad('frame data (fdAT) before the image data (IDAT)');
      currentHasData = true;
      continue;
    }
    if (current && !currentHasData) return bad(`frame ${frames} has a frame control (fcTL) but no image data`);
    if (c.length < 26) return bad('an fcTL chunk is too short');
    current = { seq, width: u32be(data, c.at + 4), height: u32be(data, c.at + 8), x: u32be(data, c.at + 12), y: u32be(data, c.at + 16) };
    currentHasData = false;
    const f = current;
    if (f.width === 0 || f.height === 0 || f.x + f.width > canvasW || f.y + f.height > canvasH) {
      return bad(`frame ${frames} (${f.width}x${f.height} at ${f.x},${f.y}) does not fit the ${canvasW}x${canvasH} canvas`);
    }
    if (i < firstIdat && (f.x !== 0 || f.y !== 0 || f.width !== canvasW || f.height !== canvasH)) {
      return bad(`the default image's frame control is ${f.width}x${f.height} at ${f.x},${f.y}, not the whole ${canvasW}x${canvasH} canvas`);
    }
    frames++;
  }
  if (current && !currentHasData) return bad(`frame ${frames - 1} has a frame control (fcTL) but no image data`);
  if (frames !== declared) return bad(`acTL declares ${declared} frames, the file has ${frames}`);
  return undefined;
}

/** The first of the two problems, for a PNG whose chunk structure is sound. */
export async function pngDataWarning(data: Uint8Array): Promise<string | undefined> {
  return apngProblem(data) ?? (await idatWarning(data));
}
