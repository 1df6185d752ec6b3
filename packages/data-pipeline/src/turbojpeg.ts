/**
 * JPEG decoding at a reduced DCT scale through libjpeg-turbo's TurboJPEG API (the system's
 * libturbojpeg, called with koffi): the same libjpeg-turbo decoder libvips uses, with the same
 * defaults (islow IDCT, fancy upsampling), so the same pixels, tested against the libvips path.
 * It is the fast path's first choice because it costs a quarter of libvips' CPU per image here:
 * libvips runs each decode through its region and thread-pool machinery, whose locks, thread
 * hand-offs and allocations cost more than the decode itself for a 500x375 photo (perf: 30% of the
 * time in the kernel, 18% in malloc and friends). TurboJPEG decodes straight into our buffer.
 *
 * Only plain JPEGs come here: 1 or 3 components and no embedded ICC profile. CMYK and
 * profile-tagged files need libvips' colour management, as in the exact path.
 */
import { uninitialised, type RawImage } from './resize';

type KoffiFn = ((...args: unknown[]) => unknown) & { async: (...args: unknown[]) => void };

interface Tj {
  file: string;
  init: KoffiFn;
  header: KoffiFn;
  decompress: KoffiFn;
  errorStr: KoffiFn;
  errorCode: KoffiFn;
  destroy: KoffiFn;
}

/** turbojpeg.h (the 2.x API, kept in 3.x). */
const TJPF_RGB = 0;
const TJFLAG_STOPONWARNING = 8192;
const TJERR_WARNING = 0;
/** libjpeg's JWRN_JPEG_EOF text: the data ended before the image did. */
const TRUNCATED = 'Premature end of JPEG file';

/** Where libturbojpeg is found: Debian/Ubuntu (libturbojpeg0), Fedora, Homebrew, Windows. */
const CANDIDATES = [
  'libturbojpeg.so.0',
  'libturbojpeg.so',
  'libturbojpeg.0.dylib',
  '/opt/homebrew/opt/jpeg-turbo/lib/libturbojpeg.0.dylib',
  '/usr/local/opt/jpeg-turbo/lib/libturbojpeg.0.dylib',
  'turbojpeg.dll',
];

let tj: Tj | undefined;
let unavailable: string | undefined;
/** Decompressor handles not in use: one per concurrent decode (a handle is not thread-safe). */
const idle: unknown[] = [];

/**
 * Binds libturbojpeg, or says why it cannot. `PAWPIPE_TURBOJPEG` names the library file to use,
 * or `off` to leave fast decoding to libvips.
 */
function bind(): Tj {
  if (tj) return tj;
  if (unavailable) throw new Error(unavailable);
  const env = process.env['PAWPIPE_TURBOJPEG'];
  if (env === 'off' || env === '0') {
    unavailable = 'TurboJPEG turned off by PAWPIPE_TURBOJPEG';
    throw new Error(unavailable);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const koffi = require('koffi') as { load: (p: string) => { func: (decl: string) => KoffiFn } };
  const tried: string[] = [];
  for (const file of env ? [env] : CANDIDATES) {
    let so: { func: (decl: string) => KoffiFn };
    try {
      so = koffi.load(file);
    } catch {
      tried.push(file);
      continue;
    }
    tj = {
      file,
      init: so.func('void *tjInitDecompress()'),
      header: so.func('int tjDecompressHeader3(void *h, const uint8_t *buf, unsigned long size, _Out_ int *width, _Out_ int *height, _Out_ int *subsamp, _Out_ int *colorspace)'),
      decompress: so.func('int tjDecompress2(void *h, const uint8_t *buf, unsigned long size, uint8_t *dst, int width, int pitch, int height, int format, int flags)'),
      errorStr: so.func('const char *tjGetErrorStr2(void *h)'),
      errorCode: so.func('int tjGetErrorCode(void *h)'),
      destroy: so.func('int tjDestroy(void *h)'),
    };
    return tj;
  }
  unavailable = `libturbojpeg not found (tried ${tried.join(', ')}); Debian/Ubuntu: apt-get install libturbojpeg0, macOS: brew install jpeg-turbo`;
  throw new Error(unavailable);
}

let found: { file: string } | { unavailable: string } | undefined;

/** The TurboJPEG library the decoders use, or why there is none (looked up once: it is asked per image). */
export function turboJpeg(): { file: string } | { unavailable: string } {
  if (found) return found;
  try {
    found = { file: bind().file };
  } catch (e) {
    found = { unavailable: (e as Error).message };
  }
  return found;
}

function acquire(t: Tj): unknown {
  const h = idle.pop() ?? t.init();
  if (!h) throw new Error('tjInitDecompress failed');
  return h;
}

function call(t: Tj, h: unknown, buf: Buffer, dst: Uint8Array, w: number, h2: number, flags: number): Promise<number> {
  return new Promise((resolve, reject) => {
    t.decompress.async(h, buf, buf.length, dst, w, 0, h2, TJPF_RGB, flags, (err: unknown, rc: unknown) =>
      err ? reject(err as Error) : resolve(rc as number),
    );
  });
}

/**
 * Decodes `buf` (a plain JPEG: see above) at 1/shrink to interleaved RGB uint8, on a libuv worker
 * thread. Sizes are rounded down as libvips does (libjpeg rounds up; the extra row or column is
 * cut), so both paths give the same image. Truncated data is refused, as with libvips'
 * fail_on=truncated; other libjpeg warnings (extraneous bytes, say) are decoded through, as
 * TensorFlow and libvips do.
 */
export async function decodeJpegTurbo(buf: Buffer, shrink: number): Promise<RawImage> {
  const t = bind();
  const h = acquire(t);
  try {
    const w = [0];
    const ht = [0];
    const sub = [0];
    const cs = [0];
    if (t.header(h, buf, buf.length, w, ht, sub, cs) !== 0) throw new Error(`jpeg header: ${String(t.errorStr(h))}`);
    const cw = Math.ceil(w[0]! / shrink);
    const ch = Math.ceil(ht[0]! / shrink);
    const full = uninitialised(cw * ch * 3); // the decode writes every byte
    // Stop at the first warning, so that a truncation is seen as such.
    if ((await call(t, h, buf, full, cw, ch, TJFLAG_STOPONWARNING)) !== 0) {
      // libjpeg's message is in a thread-local of the worker thread that ran the decode: run it
      // again here, where it can be read (broken files only), then through warnings but EOF.
      const sync = (flags: number) => {
        if (t.decompress(h, buf, buf.length, full, cw, 0, ch, TJPF_RGB, flags) === 0) return;
        const msg = String(t.errorStr(h));
        if (t.errorCode(h) !== TJERR_WARNING || msg.startsWith(TRUNCATED)) throw new Error(`jpeg decode: ${msg}`);
      };
      sync(TJFLAG_STOPONWARNING);
      sync(0);
    }
    void buf; // keep the input alive until the worker thread has read it
    const width = Math.floor(w[0]! / shrink);
    const height = Math.floor(ht[0]! / shrink);
    if (width === cw) return { data: full.subarray(0, width * height * 3), width, height, channels: 3 };
    const data = uninitialised(width * height * 3);
    for (let y = 0; y < height; y++) data.set(full.subarray(y * cw * 3, y * cw * 3 + width * 3), y * width * 3);
    return { data, width, height, channels: 3 };
  } finally {
    idle.push(h);
  }
}
