/**
 * The bridge to @pawpipe/image-validation: which files of a folder it flags. Loaded lazily so
 * indexing with `validate: false` never pays for it; injectable so tests can plant verdicts.
 */
import * as path from 'node:path';

export type Policy = 'strict' | 'jfif' | 'verify' | 'sniff' | 'decode';

export interface FileVerdict {
  /** Relative to the scanned root, '/' separators. */
  path: string;
  flagged: boolean;
  category: string;
  reason: string;
  /** The content's format by magic bytes (jpeg, png, webp...), when known. */
  format?: string;
}

/** Verdicts for `files` (relative to `root`); files it gives no verdict for are kept. */
export type Validator = (root: string, files: readonly string[], policy: Policy) => Promise<FileVerdict[]>;

/**
 * image-validation's `scan` with its verdict cache (keyed by path, size, mtime and policy).
 * `scan` skips hidden names, but Keras indexes files under hidden subfolders of a class (and
 * hidden files): those few are inspected one by one.
 */
export const scanWithImageValidation: Validator = async (root, files, policy) => {
  // Required lazily: indexing with validate: false never loads image-validation.
  const iv = require('@pawpipe/image-validation') as typeof import('@pawpipe/image-validation');
  const report = await iv.scan(root, { policy, cache: true });
  const out: FileVerdict[] = report.entries.map((e) => ({ path: e.path, flagged: e.flagged, category: e.category, reason: e.reason, format: e.facts.format }));
  const seen = new Set(out.map((v) => v.path));
  for (const f of files) {
    if (seen.has(f)) continue;
    const v = await iv.inspect(path.join(root, ...f.split('/')), { policy });
    out.push({ path: f, flagged: v.flagged, category: v.category, reason: v.reason, format: v.facts.format });
  }
  return out;
};
