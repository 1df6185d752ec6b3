/**
 * Which validated files training leaves out. Only what cannot be trained on: files the pipeline
 * cannot decode or must not decode. Everything else is kept, and the odd ones are listed as
 * "kept, with a warning" (Keras' decode_image trains on a PNG named .jpg and on a JPEG libjpeg
 * merely warns about).
 */
import { DataPipelineError } from './errors';
import type { FileVerdict } from './validator';

/** image-validation's categories other than 'ok', worst first (its CATEGORIES order). */
export const EXCLUDABLE_CATEGORIES: readonly string[] = [
  'not-an-image', 'too-large', 'damaged', 'format-mismatch', 'unsupported', 'decodes-with-warnings',
];

/**
 * Left out by default: no image at all, a decompression bomb (must not be decoded), pixel data
 * that does not decode, and formats neither decode_image nor this pipeline reads.
 */
export const DEFAULT_EXCLUDE: readonly string[] = ['not-an-image', 'too-large', 'damaged', 'unsupported'];

/** What decode.ts decodes, which is what TensorFlow's decode_image reads. */
export const PIPELINE_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'gif', 'bmp']);

export type Disposition = 'use' | 'keep-with-warning' | 'leave-out';

/**
 * Checks an exclude list; `none` alone means leave nothing out. Returns the set, in a stable
 * order. Throws DataPipelineError('bad-argument') naming the unknown entries.
 */
export function checkExclude(list: readonly string[]): string[] {
  const items = list.flatMap((s) => String(s).split(',')).map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 1 && items[0] === 'none') return [];
  const unknown = items.filter((c) => !EXCLUDABLE_CATEGORIES.includes(c));
  if (unknown.length > 0 || items.length === 0) {
    throw new DataPipelineError(
      'bad-argument',
      `\`exclude\` takes image-validation categories (${EXCLUDABLE_CATEGORIES.join(', ')}) or none, received: ${items.length === 0 ? 'nothing' : unknown.join(', ')}`,
    );
  }
  return EXCLUDABLE_CATEGORIES.filter((c) => items.includes(c));
}

/** checkExclude for a CLI's `--exclude`: the same check, its message naming the flag. */
export function checkExcludeFlag(list: readonly string[]): string[] {
  try {
    return checkExclude(list);
  } catch (e) {
    throw new Error(`--exclude: ${(e as Error).message.replace(/^`exclude` /, '')}`);
  }
}

/**
 * What happens to a file: a category in `exclude` is left out; so is a format-mismatch whose
 * content is a format the pipeline does not read (WebP named .jpg), whatever `exclude` says,
 * since decoding it would fail. A file the policy does not flag is used.
 */
export function dispositionOf(v: FileVerdict, exclude: ReadonlySet<string>): Disposition {
  if (!v.flagged || v.category === 'ok') return 'use';
  if (exclude.has(v.category)) return 'leave-out';
  if (v.category === 'format-mismatch' && v.format !== undefined && !PIPELINE_FORMATS.has(v.format)) return 'leave-out';
  return 'keep-with-warning';
}

/** "not-an-image 3, damaged 2" in the order of EXCLUDABLE_CATEGORIES. */
export function countByCategory(files: readonly { category: string }[]): string {
  const counts = new Map<string, number>();
  for (const f of files) counts.set(f.category, (counts.get(f.category) ?? 0) + 1);
  const order = [...EXCLUDABLE_CATEGORIES, ...[...counts.keys()].filter((c) => !EXCLUDABLE_CATEGORIES.includes(c))];
  return order.filter((c) => counts.has(c)).map((c) => `${c} ${counts.get(c)}`).join(', ');
}
