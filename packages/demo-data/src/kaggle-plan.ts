/**
 * What each file of a Kaggle-shaped folder is (size, header, colour, broken or not), decided from
 * its own random stream alone, so the main thread can list the folder's make-up without drawing
 * and a worker draws the same file from the same numbers.
 *
 * The mix follows the Kaggle PetImages folder (25,000 JPEGs, 12,500 per class):
 * - sizes: the photos were scaled to at most 500 pixels a side, so 500x375 and 375x500 dominate,
 *   with other 500-pixel aspect ratios, smaller pictures, and a few larger ones (up to ~1000);
 * - headers: the Keras tutorial's JFIF filter deleted 1,590 of the 25,000 files (6.36%): JPEGs
 *   with an Exif segment and no JFIF one;
 * - broken: beyond that filter, a user's run found 4 files Pillow's verify() rejects, 18 more
 *   that imghdr does not recognise and 13 more that ImageMagick's identify errors on
 *   (shared/source); here random bytes named .jpg (not an image) and JPEGs cut off in their
 *   coded data (damaged), plus Kaggle's two 0-byte files Cat/666.jpg and Dog/11702.jpg;
 * - colour: a few greyscale and CMYK JPEGs (not counted in the source; rates chosen small).
 */
import { Rng } from './rng';

export type KaggleHeader = 'jfif' | 'exif-only';
export type KaggleColour = 'rgb' | 'greyscale' | 'cmyk';
export type KaggleBroken = 'none' | 'empty' | 'random-bytes' | 'truncated';

export interface KaggleRates {
  /** Exif JPEGs without a JFIF segment. */
  exifOnly: number;
  greyscale: number;
  cmyk: number;
  /** Random bytes under a .jpg name. */
  randomBytes: number;
  /** JPEG cut off inside its coded data. */
  truncated: number;
}

/** Per-file rates (see the file comment for their source). */
export const KAGGLE_RATES: Readonly<KaggleRates> = {
  exifOnly: 1590 / 25000,
  greyscale: 0.004,
  cmyk: 0.001,
  randomBytes: 18 / 25000,
  truncated: 17 / 25000,
};

export interface KaggleFilePlan {
  width: number;
  height: number;
  header: KaggleHeader;
  colour: KaggleColour;
  broken: KaggleBroken;
  quality: number;
}

/** Kaggle's own 0-byte files, by class index (Cat, Dog). */
export const KAGGLE_EMPTY: ReadonlyArray<{ cls: number; n: number }> = [
  { cls: 0, n: 666 },
  { cls: 1, n: 11702 },
];

/** Tag mixed into every Kaggle-shaped file's stream so it never equals a demo picture's. */
export const KAGGLE_STREAM = 0x4b41474c;

export function kaggleRng(seed: number, classSeed: number, cls: number, n: number): Rng {
  return new Rng(seed, classSeed, cls, n, KAGGLE_STREAM);
}

/** Picks a size: most 500x375 or 375x500, other 500-pixel shapes, smaller ones, a few up to ~1000. */
function size(rng: Rng): { width: number; height: number } {
  const u = rng.next();
  const portrait = rng.next() < 0.3;
  const orient = (long: number, short: number) => (portrait ? { width: short, height: long } : { width: long, height: short });
  if (u < 0.68) return portrait ? { width: 375, height: 500 } : { width: 500, height: 375 };
  if (u < 0.8) return orient(500, rng.int(280, 500));
  if (u < 0.98) {
    const long = rng.int(120, 499);
    return orient(long, Math.max(60, Math.round(long * rng.range(0.6, 1))));
  }
  const long = rng.int(501, 1050);
  return orient(long, Math.round(long * rng.range(0.65, 0.8)));
}

/**
 * The plan of file `n` of class `cls`. Draws from `rng` in a fixed order; the caller keeps using
 * the same stream to draw the picture.
 */
export function planKaggleFile(rng: Rng, cls: number, n: number, rates: KaggleRates = KAGGLE_RATES): KaggleFilePlan {
  const { width, height } = size(rng);
  const header: KaggleHeader = rng.next() < rates.exifOnly ? 'exif-only' : 'jfif';
  const c = rng.next();
  const colour: KaggleColour = c < rates.greyscale ? 'greyscale' : c < rates.greyscale + rates.cmyk ? 'cmyk' : 'rgb';
  const b = rng.next();
  let broken: KaggleBroken = b < rates.randomBytes ? 'random-bytes' : b < rates.randomBytes + rates.truncated ? 'truncated' : 'none';
  if (KAGGLE_EMPTY.some((e) => e.cls === cls && e.n === n)) broken = 'empty';
  return { width, height, header, colour, broken, quality: rng.int(70, 95) };
}
