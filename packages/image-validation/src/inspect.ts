import { promises as fsp, readFileSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from './errors';
import { bmpHeader, gifHeader, pngHeader, webpHeader, type HeaderInfo } from './headers';
import { parseJpeg } from './jpeg-markers';
import { DECODABLE, decodeAll, sharpHeader } from './decode';
import { pngDataWarning } from './png-data';
import { formatOfExtension, IMAGE_FORMATS, imghdrWhat, sniffFormat, TF_FORMATS } from './magic';
import { DEFAULT_MAX_PIXELS, type Category, type Facts, type InspectOptions, type Policy, type Verdict } from './types';

/** Files up to this size are read once and handed to the decoder as a buffer. */
const WHOLE_FILE_LIMIT = 64 * 1024 * 1024;
/** Python's io.DEFAULT_BUFFER_SIZE: what `fobj.peek(10)` returns in the Keras tutorial's JFIF filter. */
const PEEK_BYTES = 4096;

const FORMAT_NAMES: Record<string, string> = {
  jpeg: 'JPEG', png: 'PNG', gif: 'GIF', bmp: 'BMP', webp: 'WebP', tiff: 'TIFF', avif: 'AVIF', heif: 'HEIF',
  ico: 'ICO', psd: 'PSD', svg: 'SVG', ole: 'Compound File (Thumbs.db)', pdf: 'PDF', zip: 'ZIP', html: 'HTML', text: 'text',
};
const formatName = (f: string) => FORMAT_NAMES[f] ?? f;

/** Everything inspect() needs about a file that it can learn without decoding pixels. */
interface Loaded {
  facts: Facts;
  /** The whole file when small enough, else its first WHOLE_FILE_LIMIT bytes. */
  data: Buffer;
  whole: boolean;
  /** A note for the verdict (truncated Exif metadata). */
  note?: string;
}

const verdict = (p: string, category: Category, reason: string, facts: Facts, flagged = category !== 'ok'): Verdict => ({
  path: p, category, flagged, reason, facts,
});

/**
 * Examines one file under a policy and says what it is. Never throws for a bad image (that is what
 * the verdict is for); throws ValidationError('not-found') when nothing exists at `file`.
 */
export async function inspect(file: string, opts: InspectOptions = {}): Promise<Verdict> {
  const policy: Policy = opts.policy ?? 'strict';
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  let lst: Stats;
  try {
    lst = await fsp.lstat(file);
  } catch (e) {
    throw new ValidationError('not-found', `${file}: no such file; check the path`, { path: file, cause: e });
  }
  let st = lst;
  if (lst.isSymbolicLink()) {
    try {
      st = await fsp.stat(file);
    } catch {
      return verdict(file, 'not-an-image', 'dangling symbolic link: its target does not exist', { format: 'unknown', bytes: 0 });
    }
  }
  if (st.isDirectory()) return verdict(file, 'not-an-image', 'a directory, not a file', { format: 'unknown', bytes: 0 });
  if (!st.isFile()) return verdict(file, 'not-an-image', 'not a regular file (device, pipe or socket)', { format: 'unknown', bytes: 0 });
  if (st.size === 0) return verdict(file, 'not-an-image', 'empty file (0 bytes)', { format: 'unknown', bytes: 0 });
  let loaded: Loaded;
  try {
    loaded = await load(file, st.size);
  } catch (e) {
    return verdict(file, 'damaged', `cannot be read: ${(e as Error).message}`, { format: 'unknown', bytes: st.size });
  }
  const v = await byPolicy(file, loaded, policy, maxPixels, opts.pixels ?? false);
  if (loaded.note && v.category !== 'not-an-image') v.note = loaded.note;
  return v;
}

function byPolicy(file: string, loaded: Loaded, policy: Policy, maxPixels: number, pixels: boolean): Promise<Verdict> | Verdict {
  switch (policy) {
    case 'jfif':
      return jfifPolicy(file, loaded);
    case 'sniff':
      return sniffPolicy(file, loaded);
    case 'verify':
      return verifyPolicy(file, loaded, maxPixels);
    case 'decode':
      return fullPolicy(file, loaded, maxPixels, false, true);
    case 'strict':
      return fullPolicy(file, loaded, maxPixels, true, pixels);
    default:
      throw new ValidationError('usage', `unknown policy "${String(policy)}"; use strict, jfif, verify, sniff or decode`);
  }
}

async function load(file: string, size: number): Promise<Loaded> {
  let data: Buffer;
  const whole = size <= WHOLE_FILE_LIMIT;
  if (whole) {
    // One synchronous read: for the small files of an image folder it costs a tenth of
    // fs.promises.readFile's several thread-pool round trips, and the walk that follows is
    // synchronous JS on this thread anyway.
    data = readFileSync(file);
  } else {
    const fh = await fsp.open(file, 'r');
    try {
      data = Buffer.alloc(WHOLE_FILE_LIMIT);
      const { bytesRead } = await fh.read(data, 0, WHOLE_FILE_LIMIT, 0);
      data = data.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }
  const facts: Facts = { format: sniffFormat(data), bytes: size };
  return { facts, data, whole };
}

function jfifPolicy(file: string, l: Loaded): Verdict {
  const found = l.data.subarray(0, PEEK_BYTES).includes('JFIF', 0, 'latin1');
  addJpegFacts(l, false);
  return found
    ? verdict(file, 'ok', '"JFIF" found in the first 4096 bytes', l.facts)
    : verdict(file, 'not-an-image', 'no "JFIF" in the first 4096 bytes: the Keras tutorial filter deletes it', l.facts);
}

function sniffPolicy(file: string, l: Loaded): Verdict {
  const what = imghdrWhat(l.data);
  addJpegFacts(l, false);
  return what
    ? verdict(file, 'ok', `imghdr.what() says ${what}`, l.facts)
    : verdict(file, 'not-an-image', 'imghdr.what() recognises no image type', l.facts);
}

function addJpegFacts(l: Loaded, walk: boolean): ReturnType<typeof parseJpeg> | undefined {
  if (l.facts.format !== 'jpeg') return undefined;
  const j = parseJpeg(l.data, walk && l.whole);
  l.facts.jfif = j.jfif;
  l.facts.exif = j.exif;
  if (j.exifTruncated) l.note = `Exif metadata is truncated (${j.exifTruncated}); the image data is complete, so it trains as it is`;
  if (j.width !== undefined) l.facts.width = j.width;
  if (j.height !== undefined) l.facts.height = j.height;
  if (j.components !== undefined) l.facts.channels = j.components;
  if (j.space !== undefined) l.facts.space = j.space;
  if (j.progressive) l.facts.progressive = true;
  return j;
}

/** Reads the header of any image format into the facts; returns the damage it found, if any. */
async function readHeader(file: string, l: Loaded, walk: boolean): Promise<{ damage?: string; warning?: string; unsupported?: string }> {
  const f = l.facts.format;
  if (f === 'jpeg') {
    const j = addJpegFacts(l, walk)!;
    if (j.width === undefined && !j.damage) return { damage: 'no frame header (SOF) before the image data' };
    const out: { damage?: string; warning?: string } = {};
    // Without walking, only damage before the first scan counts (that is what a header check sees).
    if (j.damage && (walk || j.width === undefined)) out.damage = j.damage;
    if (j.warning) out.warning = j.warning;
    return out;
  }
  let h: HeaderInfo | undefined;
  if (f === 'png') h = pngHeader(l.data, walk && l.whole);
  else if (f === 'gif') h = gifHeader(l.data);
  else if (f === 'bmp') h = bmpHeader(l.data);
  else if (f === 'webp') h = webpHeader(l.data);
  else if (DECODABLE.has(f)) {
    const m = await sharpHeader(l.whole ? l.data : file);
    if ('error' in m) return { damage: m.error };
    Object.assign(l.facts, m);
    return {};
  } else return {};
  if (!h) return { damage: `${formatName(f)} header is truncated or malformed` };
  l.facts.width = h.width;
  l.facts.height = h.height;
  if (h.channels !== undefined) l.facts.channels = h.channels;
  if (h.space !== undefined) l.facts.space = h.space;
  return { ...(h.damage !== undefined && { damage: h.damage }), ...(h.unsupported !== undefined && { unsupported: h.unsupported }) };
}

function tooLarge(l: Loaded, maxPixels: number): string | undefined {
  const { width, height } = l.facts;
  if (maxPixels > 0 && width !== undefined && height !== undefined && width * height > maxPixels) {
    return `header claims ${width}x${height} = ${(width * height).toLocaleString('en-US')} pixels, over the limit of ${maxPixels.toLocaleString('en-US')}`;
  }
  return undefined;
}

function notAnImage(file: string, l: Loaded): Verdict | undefined {
  const f = l.facts.format;
  if (IMAGE_FORMATS.has(f)) return undefined;
  const what =
    f === 'ole' ? (path.basename(file).toLowerCase() === 'thumbs.db' ? 'a Windows thumbnail cache (Thumbs.db)' : 'a Compound File (Office document or Thumbs.db)')
      : f === 'unknown' ? 'unrecognised binary content'
        : `${formatName(f)} content`;
  return verdict(file, 'not-an-image', `${what}, not a picture`, l.facts);
}

/** Pillow's Image.open + verify(): recognise the format and read its header (PNG: every chunk CRC). */
async function verifyPolicy(file: string, l: Loaded, maxPixels: number): Promise<Verdict> {
  const bad = notAnImage(file, l);
  if (bad) return bad;
  const { damage } = await readHeader(file, l, false);
  if (l.facts.format === 'png' && !damage) {
    const walked = pngHeader(l.data, l.whole);
    if (walked?.damage) return verdict(file, 'damaged', walked.damage, l.facts);
  }
  if (damage) return verdict(file, 'damaged', damage, l.facts);
  const big = tooLarge(l, maxPixels);
  if (big) return verdict(file, 'too-large', big, l.facts);
  return verdict(file, 'ok', `${formatName(l.facts.format)} header reads`, l.facts);
}

/**
 * `decode` (identify -verbose, warnings count) and `strict` (that, plus name and TensorFlow
 * support checks). Order: not an image, too large (from the header, before decoding), damaged,
 * then for strict: format-mismatch, unsupported; then decoder warnings.
 *
 * Pixels: `decode` always has libvips (or the BMP decoder) decode every pixel. `strict` does too, except
 * for JPEGs the bitstream walk covers completely (baseline, 8-bit, every scan walked: nearly all
 * photos): there every Huffman-coded block has been decoded already, which is where all of
 * libjpeg's errors and warnings arise, and the IDCT and colour conversion that remain cannot
 * fail, so strict skips them unless `pixels` is set.
 */
async function fullPolicy(file: string, l: Loaded, maxPixels: number, strict: boolean, pixels: boolean): Promise<Verdict> {
  const bad = notAnImage(file, l);
  if (bad) return bad;
  const f = l.facts.format;
  const name = formatName(f);
  // The size comes from the header alone, before any walking or decoding (decompression bombs).
  const first = await readHeader(file, l, false);
  const big = tooLarge(l, maxPixels);
  if (big) return verdict(file, 'too-large', big, l.facts);
  // A variant of the format we choose not to decode (some BMPs): say which and why.
  if (first.unsupported) return verdict(file, 'unsupported', `${name} image: ${first.unsupported}`, l.facts);
  let header = first;
  let walkCovers = false;
  if (f === 'jpeg' && l.whole) {
    const j = addJpegFacts(l, true)!;
    header = {};
    if (j.damage) header.damage = j.damage;
    if (j.warning) header.warning = j.warning;
    walkCovers = j.walkCovers;
  } else if (f === 'png') {
    header = await readHeader(file, l, true);
    // Leftover IDAT data and broken APNG frames: decoders read these, with a complaint.
    if (!header.damage && l.whole) {
      const w = await pngDataWarning(l.data);
      if (w) header.warning ??= w;
    }
  }
  let warning = header.warning;
  if (!DECODABLE.has(f)) {
    return verdict(file, 'unsupported', `${name} image: not decoded here, and TensorFlow's decode_image cannot read it`, l.facts);
  }
  // A JPEG the walk found damaged is damaged whatever libvips makes of it: no pixels needed.
  const needPixels = !(strict && walkCovers && !pixels) && !(f === 'jpeg' && header.damage);
  if (needPixels) {
    const decoded = await decodeAll(l.whole ? l.data : file, f, maxPixels);
    if (!decoded.ok && decoded.level === 'error') return verdict(file, 'damaged', `${name} does not decode: ${decoded.message}`, l.facts);
    if (!decoded.ok && decoded.level === 'unsupported') return verdict(file, 'unsupported', `${name} image: ${decoded.message}`, l.facts);
    if (decoded.ok) {
      l.facts.width = decoded.width;
      l.facts.height = decoded.height;
    } else {
      warning ??= decoded.message;
    }
  }
  if (header.damage) return verdict(file, 'damaged', `${name} is damaged: ${header.damage}`, l.facts);
  if (strict) {
    const ext = path.extname(file);
    const promised = formatOfExtension(ext);
    if (promised !== f) {
      const named = ext ? `a ${ext} name` : 'a name without an extension';
      const extra = TF_FORMATS.has(f) ? '' : `, and TensorFlow's decode_image cannot read ${name}`;
      const keras = promised === undefined ? ' (Keras skips it by its name)' : '';
      return verdict(file, 'format-mismatch', `${name} data under ${named}${keras}${extra}`, l.facts);
    }
    if (!TF_FORMATS.has(f)) {
      return verdict(file, 'unsupported', `${name} image: TensorFlow's decode_image reads only JPEG, PNG, GIF and BMP`, l.facts);
    }
  }
  if (warning) return verdict(file, 'decodes-with-warnings', `decodes, but the decoder warns: ${warning}`, l.facts);
  const how = needPixels ? 'decodes cleanly' : 'every coded block decodes cleanly';
  return verdict(file, 'ok', `${name} ${l.facts.width}x${l.facts.height} ${how}`, l.facts);
}
