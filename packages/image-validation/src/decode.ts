import sharp from 'sharp';
import { ValidationError } from './errors';
import { decodeBmp } from './bmp-decode';

/** Formats whose every pixel we can decode: libvips (via sharp) for most, bmp-decode.ts for BMP. */
export const DECODABLE: ReadonlySet<string> = new Set(['jpeg', 'png', 'gif', 'webp', 'tiff', 'avif', 'heif', 'svg', 'bmp']);

export type DecodeResult =
  | { ok: true; width: number; height: number; channels: number }
  /**
   * `warning`: decodes when warnings are tolerated; `error`: does not decode at all;
   * `unsupported`: a variant of the format not decoded here (some BMPs).
   */
  | { ok: false; level: 'warning' | 'error' | 'unsupported'; message: string };

/** One line of a libvips/libjpeg error ("VipsJpeg: premature end of JPEG image"). */
function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return (msg.split('\n').find((l) => l.trim() !== '') ?? msg).trim();
}

/**
 * Decodes every pixel. sharp's failOn 'warning' turns decoder warnings (libjpeg "Corrupt JPEG
 * data", libpng CRC warnings) into errors; a second try at failOn 'error' tells "decodes, but the
 * decoder complains" from "does not decode".
 */
export async function decodeAll(input: Buffer | string, format: string, maxPixels: number): Promise<DecodeResult> {
  if (format === 'bmp') {
    try {
      const buf = typeof input === 'string' ? await import('node:fs/promises').then((f) => f.readFile(input)) : input;
      const img = decodeBmp(buf, { maxPixels });
      if (img.warnings.length > 0) return { ok: false, level: 'warning', message: img.warnings.join('; ') };
      return { ok: true, width: img.width, height: img.height, channels: img.header.alpha ? 4 : 3 };
    } catch (e) {
      if (e instanceof ValidationError && (e.code === 'damaged' || e.code === 'unsupported')) {
        return { ok: false, level: e.code === 'unsupported' ? 'unsupported' : 'error', message: e.message };
      }
      throw e;
    }
  }
  const limitInputPixels = maxPixels > 0 ? maxPixels : false;
  try {
    const { info } = await sharp(input, { failOn: 'warning', limitInputPixels }).raw().toBuffer({ resolveWithObject: true });
    return { ok: true, width: info.width, height: info.height, channels: info.channels };
  } catch (strictErr) {
    try {
      await sharp(input, { failOn: 'error', limitInputPixels }).raw().toBuffer();
      return { ok: false, level: 'warning', message: firstLine(strictErr) };
    } catch {
      return { ok: false, level: 'error', message: firstLine(strictErr) };
    }
  }
}

/** Header-only dimensions for formats we do not parse ourselves (TIFF, AVIF, HEIF, SVG). */
export async function sharpHeader(input: Buffer | string): Promise<{ width?: number; height?: number; channels?: number; space?: string } | { error: string }> {
  try {
    const m = await sharp(input, { limitInputPixels: false }).metadata();
    const out: { width?: number; height?: number; channels?: number; space?: string } = {};
    if (m.width !== undefined) out.width = m.width;
    if (m.height !== undefined) out.height = m.height;
    if (m.channels !== undefined) out.channels = m.channels;
    if (m.space !== undefined) out.space = m.space;
    return out;
  } catch (e) {
    return { error: firstLine(e) };
  }
}
