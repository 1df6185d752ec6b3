/** What a file is, as far as training on it goes. Ordered from worst to best in `CATEGORIES`. */
export type Category =
  | 'ok'
  | 'not-an-image'
  | 'damaged'
  | 'decodes-with-warnings'
  | 'format-mismatch'
  | 'unsupported'
  | 'too-large';

export const CATEGORIES: readonly Category[] = [
  'not-an-image',
  'too-large',
  'damaged',
  'format-mismatch',
  'unsupported',
  'decodes-with-warnings',
  'ok',
];

/**
 * The four methods of the source material plus the default:
 * - `strict`: full decode plus structure checks; flags every real problem, no false positives.
 * - `jfif`: the Keras tutorial's filter, `b"JFIF" in fobj.peek(10)` (Python's peek returns its
 *   first 4096-byte buffer, so "JFIF anywhere in the first 4096 bytes").
 * - `verify`: header/structure check like Pillow's `Image.open(f).verify()`.
 * - `sniff`: type sniffing like Python's `imghdr.what(f)` (flags what it returns None for).
 * - `decode`: full decode with warnings counted, like `identify -verbose` with non-empty stderr.
 */
export type Policy = 'strict' | 'jfif' | 'verify' | 'sniff' | 'decode';
export const POLICIES: readonly Policy[] = ['strict', 'jfif', 'verify', 'sniff', 'decode'];

export interface Facts {
  /** Format by magic bytes: jpeg png gif bmp webp tiff avif heif ico svg ... or unknown. */
  format: string;
  width?: number;
  height?: number;
  channels?: number;
  /** Colour space: srgb, cmyk, b-w, ycck, palette ... */
  space?: string;
  /** A JFIF APP0 segment is present (JPEG only). */
  jfif?: boolean;
  /** An Exif APP1 segment is present (JPEG only). */
  exif?: boolean;
  /** Progressive JPEG (the trailing-bytes check covers baseline JPEGs only). */
  progressive?: boolean;
  /** File size in bytes. */
  bytes: number;
}

export interface Verdict {
  path: string;
  category: Category;
  /** Whether the policy in force flags this file. */
  flagged: boolean;
  /** One line, for people. */
  reason: string;
  /** Something worth knowing that does not affect training (e.g. truncated Exif metadata). */
  note?: string;
  facts: Facts;
}

export interface InspectOptions {
  policy?: Policy;
  /** Pixel limit (width x height) decided from the header before decoding. */
  maxPixels?: number;
  /**
   * strict only: also have libvips decode the pixels of JPEGs whose every coded block the
   * bitstream walk has already decoded (slower, finds nothing more in our tests; see README).
   */
  pixels?: boolean;
}

export interface ClassSummary {
  total: number;
  flagged: number;
  byCategory: Record<Category, number>;
}

export interface ScanSummary {
  /** Files examined (hidden entries excluded). */
  total: number;
  flagged: number;
  /** Verdicts taken from the cache instead of being recomputed. */
  cached: number;
  /** Hidden files and folders skipped (names starting with '.'). */
  hidden: number;
  byCategory: Record<Category, number>;
  /** Per top-level folder (a Keras class); files directly in the root count under '.'. */
  byClass: Record<string, ClassSummary>;
  durationMs: number;
  /** Set when the verdict cache could not be written (the scan itself is complete). */
  cacheError?: string;
}

export interface ScanReport {
  root: string;
  policy: Policy;
  maxPixels: number;
  /** One per examined file, sorted by path; `path` is relative to `root` with '/' separators. */
  entries: Verdict[];
  summary: ScanSummary;
}

export interface ScanOptions extends InspectOptions {
  /** Files examined at once; defaults to os.availableParallelism(). */
  concurrency?: number;
  /** true (default): cache in $PAWPIPE_CACHE_DIR or ~/.cache/pawpipe; a string: that folder; false: none. */
  cache?: boolean | string;
  onProgress?: (done: number, total: number) => void;
}

/** Pillow's Image.MAX_IMAGE_PIXELS (1024 * 1024 * 1024 // 4 // 3): a decompression-bomb limit people already know. */
export const DEFAULT_MAX_PIXELS = 89_478_485;
