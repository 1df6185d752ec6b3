/**
 * JPEG decoding at a reduced DCT scale through libvips' `jpegload_buffer(shrink=…)`, called with
 * koffi in the libvips that sharp has already loaded and initialised (same library, same threads).
 * sharp itself only shrinks on load when asked for a libvips resize, and then only from a 3x
 * reduction up (src/pipeline.cc: "Lower shrink-on-load for known libjpeg rounding errors"), which
 * never applies to a 500x375 photo at 180x180; and its resize kernels are not TensorFlow's.
 * So: libvips decodes at 1/shrink, and the pipeline's own bilinear resize (resize.ts) follows.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RawImage } from './resize';

// sharp loads libvips and calls vips_init() on require; everything below relies on that.
import 'sharp';

type KoffiFn = ((...args: unknown[]) => unknown) & { async: (...args: unknown[]) => void };

interface Vips {
  jpegload: KoffiFn;
  colourspace: KoffiFn;
  iccTransform: KoffiFn;
  getTypeof: KoffiFn;
  toMemory: KoffiFn;
  width: KoffiFn;
  height: KoffiFn;
  bands: KoffiFn;
  interpretation: KoffiFn;
  unref: KoffiFn;
  gFree: KoffiFn;
  errorBuffer: KoffiFn;
  errorClear: KoffiFn;
  view: (ptr: unknown, len: number) => ArrayBuffer;
}

/** libvips enums (vips/enumtypes.h, vips/image.h). */
const VIPS_INTERPRETATION_SRGB = 22;
const VIPS_INTERPRETATION_CMYK = 15;
const VIPS_INTENT_PERCEPTUAL = 0;
const VIPS_FAIL_ON_TRUNCATED = 1;
const VIPS_ACCESS_SEQUENTIAL = 1;

let vips: Vips | undefined;
let unavailable: string | undefined;

/** The libvips shared library sharp loaded: read from the process' mappings (Linux). */
function loadedLibvips(): string | undefined {
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    for (const line of maps.split('\n')) {
      const file = line.slice(line.indexOf('/'));
      if (line.includes('/') && /libvips-cpp\.(so|dylib)/.test(path.basename(file))) return file;
    }
  } catch {
    // not Linux: no mappings file
  }
  return undefined;
}

function bind(): Vips {
  if (vips) return vips;
  if (unavailable) throw new Error(unavailable);
  const lib = loadedLibvips();
  if (!lib) {
    unavailable = 'fast JPEG decode needs the libvips that sharp loads, found through /proc/self/maps (Linux only)';
    throw new Error(unavailable);
  }
  // Required lazily: only `decode: 'fast'` needs koffi.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require('koffi') as { load: (p: string) => { func: (decl: string) => KoffiFn }; view: Vips['view'] };
  const so = koffi.load(lib);
  vips = {
    jpegload: so.func('int vips_jpegload_buffer(void *buf, size_t len, _Out_ void **out, ...)'),
    colourspace: so.func('int vips_colourspace(void *in, _Out_ void **out, int space, ...)'),
    iccTransform: so.func('int vips_icc_transform(void *in, _Out_ void **out, const char *profile, ...)'),
    getTypeof: so.func('size_t vips_image_get_typeof(void *img, const char *name)'),
    toMemory: so.func('void *vips_image_write_to_memory(void *img, _Out_ size_t *size)'),
    width: so.func('int vips_image_get_width(void *img)'),
    height: so.func('int vips_image_get_height(void *img)'),
    bands: so.func('int vips_image_get_bands(void *img)'),
    interpretation: so.func('int vips_image_get_interpretation(void *img)'),
    unref: so.func('void g_object_unref(void *obj)'),
    gFree: so.func('void g_free(void *p)'),
    errorBuffer: so.func('const char *vips_error_buffer()'),
    errorClear: so.func('void vips_error_clear()'),
    view: koffi.view,
  };
  return vips;
}

/** Why fast JPEG decoding cannot run here, or undefined when it can. */
export function fastJpegUnavailable(): string | undefined {
  try {
    bind();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function vipsError(v: Vips, what: string): Error {
  const msg = String(v.errorBuffer() ?? '').trim().split('\n')[0] || 'unknown libvips error';
  v.errorClear();
  return new Error(`${what}: ${msg}`);
}

/**
 * Decodes `buf` (a JPEG) at 1/shrink of its size to interleaved sRGB uint8, like the exact path:
 * greyscale spread to 3 channels, CMYK converted by libvips, no EXIF rotation, truncated data
 * refused. The pixel decode runs on a worker thread (koffi async); `buf` stays referenced by the
 * closure until it ends, as libvips reads it in place.
 */
export async function decodeJpegShrunk(buf: Buffer, shrink: number): Promise<RawImage> {
  const v = bind();
  const out: unknown[] = [null];
  // Header only: libvips decodes the pixels when they are written to memory below.
  const rc = v.jpegload(
    buf, buf.length, out,
    'str', 'shrink', 'int', shrink,
    'str', 'fail_on', 'int', VIPS_FAIL_ON_TRUNCATED,
    'str', 'access', 'int', VIPS_ACCESS_SEQUENTIAL,
    'str', null,
  );
  if (rc !== 0) throw vipsError(v, 'jpegload');
  let img = out[0];
  const replace = (next: unknown) => {
    v.unref(img);
    img = next;
  };
  try {
    // Colour as sharp does it (src/pipeline.cc, "Ensure we're using a device-independent colour
    // space"): an embedded profile to sRGB, else CMYK through libvips' built-in CMYK profile,
    // both with the perceptual intent; then greyscale to 3 channels.
    const conv: unknown[] = [null];
    if (v.getTypeof(img, 'icc-profile-data')) {
      const rc = v.iccTransform(img, conv, 'srgb', 'str', 'embedded', 'int', 1, 'str', 'intent', 'int', VIPS_INTENT_PERCEPTUAL, 'str', null);
      if (rc === 0) replace(conv[0]);
      else v.errorClear(); // sharp goes on with the pixels as they are ("Invalid embedded profile")
    } else if (v.interpretation(img) === VIPS_INTERPRETATION_CMYK) {
      const rc = v.iccTransform(img, conv, 'srgb', 'str', 'input_profile', 'str', 'cmyk', 'str', 'intent', 'int', VIPS_INTENT_PERCEPTUAL, 'str', null);
      if (rc !== 0) throw vipsError(v, 'icc_transform');
      replace(conv[0]);
    }
    if (v.bands(img) !== 3 || v.interpretation(img) !== VIPS_INTERPRETATION_SRGB) {
      if (v.colourspace(img, conv, VIPS_INTERPRETATION_SRGB, 'str', null) !== 0) throw vipsError(v, 'colourspace');
      replace(conv[0]);
    }
    const size: number[] = [0];
    const ptr = await new Promise<unknown>((resolve, reject) => {
      v.toMemory.async(img, size, (err: unknown, res: unknown) => (err ? reject(err as Error) : resolve(res)));
    });
    if (!ptr) throw vipsError(v, 'decode');
    const width = v.width(img) as number;
    const height = v.height(img) as number;
    const bands = v.bands(img) as number;
    try {
      if (bands !== 3 || size[0] !== width * height * 3) throw new Error(`decoded to ${bands} channels, expected 3`);
      const data = new Uint8Array(size[0]);
      data.set(new Uint8Array(v.view(ptr, size[0])));
      void buf; // keep the input alive until libvips has read it
      return { data, width, height, channels: 3 };
    } finally {
      v.gFree(ptr);
    }
  } finally {
    v.unref(img);
  }
}
