/**
 * File to interleaved RGB uint8, the way Keras' `tf.image.decode_image(channels=3,
 * expand_animations=False)` sees it: greyscale spread to 3 channels, alpha dropped (not
 * composited), CMYK converted, first GIF frame, no EXIF rotation. sharp (libvips) decodes
 * everything except BMP, which libvips lacks: image-validation's BMP decoder reads that (every
 * variant ImageMagick reads: OS/2 headers, 1 to 32 bits, RLE, bitfields).
 */
import { promises as fs, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { jpegShrinkFor, readJpegHeader } from './jpeg-scale';
import type { RawImage, Window } from './resize';
import { decodeJpegTurbo, turboJpeg } from './turbojpeg';
import { decodeJpegShrunk } from './vips-jpeg';

/** `exact`: Keras' pixels (full decode). `fast`: JPEGs decoded at a reduced DCT scale. */
export type DecodeMode = 'exact' | 'fast';
export const DECODE_MODES: readonly DecodeMode[] = ['exact', 'fast'];

export interface DecodeOptions {
  mode?: DecodeMode;
  /** The size the image will be resized to; `fast` never decodes below it. */
  target?: { width: number; height: number };
  /** Keras' crop_to_aspect_ratio: the window of a decoded image that will be resized. */
  window?: (width: number, height: number) => Window;
}

/** A decoded image, the DCT shrink it was decoded at (1: full size) and the decoder that did it. */
export interface DecodedImage extends RawImage {
  shrink: number;
  decoder: 'sharp' | 'libvips' | 'turbojpeg' | 'bmp';
}

/**
 * Reads the file, then decodes the bytes: BMP by its magic bytes (whatever the extension, as
 * decode_image sniffs), plain JPEGs with TurboJPEG where the system has it, everything else with
 * sharp. Handing sharp a buffer costs less CPU than
 * letting libvips read the file (measured: 1.69 against 2.03 ms per 500x375 JPEG).
 */
export async function decodeRgb(file: string, opts: DecodeOptions = {}): Promise<DecodedImage> {
  return decodeRgbBuffer(await readImageFile(file), opts);
}

/**
 * Three synchronous reads slower than this switch the process to asynchronous reads: a disk seek
 * takes 5-10 ms, a page-cache or SSD read of a photo well under 1 ms, though a read can be held
 * up by our own decode threads taking the core (wall time is what is measured) or by a garbage
 * collection: hence the margin and the three strikes.
 */
const SLOW_READ_MS = 5;
const SLOW_READS = 3;
let syncReads = !process.env['PAWPIPE_ASYNC_READS'];
let slowReads = 0;

/**
 * Reads an image file. While reads are cheap (page cache, local SSD: tens of microseconds for a
 * photo) they are synchronous: an asynchronous read costs four thread-pool round trips (open,
 * stat, read, close), about 0.08 ms of CPU per file here, 3-9% of a fast-decode first epoch. The
 * third read that takes longer than `slowMs` (a disk, a network file system; not one read held up
 * by a garbage collection) switches the process to asynchronous reads for good, so that reads
 * overlap with each other and with decoding, and storage never holds the event loop for long.
 * PAWPIPE_ASYNC_READS=1 starts there.
 */
export async function readImageFile(file: string, slowMs = SLOW_READ_MS): Promise<Buffer> {
  if (!syncReads) return fs.readFile(file);
  const t0 = performance.now();
  const buf = readFileSync(file);
  if (performance.now() - t0 > slowMs && ++slowReads >= SLOW_READS) syncReads = false;
  return buf;
}

/** How readImageFile reads now: 'sync' until a slow read, then 'async'. */
export function imageReadMode(): 'sync' | 'async' {
  return syncReads ? 'sync' : 'async';
}

export async function decodeRgbBuffer(buf: Buffer, opts: DecodeOptions = {}): Promise<DecodedImage> {
  if (buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d) return { ...bmpToRgb(buf), shrink: 1, decoder: 'bmp' };
  // JPEG (sniffed, as decode_image does): a plain one (1 or 3 components, no embedded profile)
  // goes to TurboJPEG when the system has it, in both modes: the same libjpeg-turbo decode as
  // sharp's and libvips', so the same pixels (tested), at a fraction of the CPU (turbojpeg.ts).
  const header = readJpegHeader(buf);
  const plain = header !== undefined && !header.icc && (header.components === 1 || header.components === 3);
  if (opts.mode === 'fast' && opts.target && header) {
    // PNG, GIF, WebP have no DCT to scale.
    const shrink = jpegShrinkFor(header.width, header.height, opts.target.width, opts.target.height, opts.window);
    if (plain && 'file' in turboJpeg()) return { ...(await decodeJpegTurbo(buf, shrink)), shrink, decoder: 'turbojpeg' };
    // CMYK and profile-tagged JPEGs, and every JPEG without TurboJPEG: libvips, at shrink 1 too
    // (the same decode and colour steps as sharp's, without the cost of sharp's pipeline).
    return { ...(await decodeJpegShrunk(buf, shrink)), shrink, decoder: 'libvips' };
  }
  if (plain && 'file' in turboJpeg()) return { ...(await decodeJpegTurbo(buf, 1)), shrink: 1, decoder: 'turbojpeg' };
  return { ...(await decodeWithSharp(buf)), shrink: 1, decoder: 'sharp' };
}

/**
 * One line for a log: the decode mode, which decoder takes the JPEGs, and without TurboJPEG how
 * to get it.
 */
export function describeDecode(mode: DecodeMode = 'exact'): string {
  const tj = turboJpeg();
  if ('file' in tj) return `${mode} (JPEGs: TurboJPEG, ${tj.file}; CMYK and profile-tagged JPEGs and other formats: ${mode === 'fast' ? 'libvips' : 'sharp'})`;
  return `${mode} (${mode === 'fast' ? 'libvips' : 'sharp'}: ${tj.unavailable}, for 2-4x less CPU per JPEG)`;
}

/** The exact path through sharp: every format, colour management (exported for the tests). */
export async function decodeWithSharp(input: string | Buffer): Promise<RawImage> {
  // failOn 'truncated': TensorFlow refuses truncated JPEGs but decodes files with mere
  // libjpeg warnings (e.g. extraneous bytes before a marker), which sharp's default rejects.
  // sequentialRead: the image is read top to bottom once, so libvips need not keep it whole.
  const { data, info } = await sharp(input, { failOn: 'truncated', pages: 1, sequentialRead: true })
    .removeAlpha()
    .toColourspace('srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
}

function bmpToRgb(buf: Buffer): RawImage {
  // Required lazily, like the validator: most folders hold no BMP. Alpha is dropped, as
  // decode_bmp(channels=3) does.
  const { decodeBmp } = require('@pawpipe/image-validation') as typeof import('@pawpipe/image-validation');
  const bmp = decodeBmp(buf);
  return { data: bmp.data, width: bmp.width, height: bmp.height, channels: 3 };
}
