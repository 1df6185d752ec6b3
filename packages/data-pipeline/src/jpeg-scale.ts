/**
 * Which DCT scale a JPEG can be decoded at for a given target, read from its header alone.
 * libjpeg decodes at 1/2, 1/4 or 1/8 of the size by dropping DCT coefficients (Pillow's
 * `draft()`, TensorFlow's `decode_jpeg(ratio=…)`, sharp's shrink-on-load); the smallest scale
 * still at least the target on both axes keeps the final bilinear resize a downscale.
 */

/** "ICC_PROFILE\0", the APP2 identifier of an embedded colour profile (ICC.1 B.4). */
const ICC_TAG = [0x49, 0x43, 0x43, 0x5f, 0x50, 0x52, 0x4f, 0x46, 0x49, 0x4c, 0x45, 0x00];

/** Scales libvips' jpegload accepts as `shrink`. */
export const JPEG_SHRINKS = [8, 4, 2] as const;

export interface JpegHeader {
  width: number;
  height: number;
  components: number;
  /** An embedded ICC profile (APP2 "ICC_PROFILE") before the frame header. */
  icc: boolean;
}

/**
 * Width, height and component count from the first SOF marker, or undefined when the bytes are
 * not a JPEG or no frame header is found (the caller then decodes the usual way). Walks the
 * marker segments from the start (ITU T.81 B.1.1.4), never the entropy-coded data.
 */
export function readJpegHeader(buf: Uint8Array): JpegHeader | undefined {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) return undefined;
  let i = 2;
  let frame: Omit<JpegHeader, 'icc'> | undefined;
  let icc = false;
  // To the first scan: libjpeg reads (and libvips keeps) every APP segment before it, so a profile
  // after the frame header counts too.
  while (i + 4 <= buf.length) {
    if (buf[i] !== 0xff) break;
    const marker = buf[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // the first scan, or the end
    const len = (buf[i + 2]! << 8) | buf[i + 3]!;
    if (len < 2) break;
    if (!frame && marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 10 > buf.length) break;
      const height = (buf[i + 5]! << 8) | buf[i + 6]!;
      const width = (buf[i + 7]! << 8) | buf[i + 8]!;
      frame = { width, height, components: buf[i + 9]! };
    }
    if (marker === 0xe2 && len >= 14 && i + 16 <= buf.length && ICC_TAG.every((c, k) => buf[i + 4 + k] === c)) icc = true;
    i += 2 + len;
  }
  return frame && { ...frame, icc };
}

/**
 * The largest shrink (8, 4, 2, else 1) whose decoded size is still >= the target on both axes.
 * libvips rounds the shrunk size down (375 / 2 gives 187, where libjpeg itself would give 188),
 * so the test is on floor(size / shrink): a 359-row JPEG for 180 rows decodes at full size.
 */
export function jpegShrinkFor(
  srcW: number,
  srcH: number,
  targetW: number,
  targetH: number,
  window?: (width: number, height: number) => { width: number; height: number },
): number {
  for (const s of JPEG_SHRINKS) {
    const w = Math.floor(srcW / s);
    const h = Math.floor(srcH / s);
    // With crop_to_aspect_ratio the window is cut from the shrunk image: test that window.
    const win = window ? window(w, h) : { width: w, height: h };
    if (win.width >= targetW && win.height >= targetH) return s;
  }
  return 1;
}
