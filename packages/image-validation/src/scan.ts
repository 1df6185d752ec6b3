import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultCacheDir, VerdictCache } from './cache';
import { ValidationError } from './errors';
import { inspect } from './inspect';
import { InspectPool } from './pool';
import { walk } from './walk';
import { CATEGORIES, DEFAULT_MAX_PIXELS, type Category, type ClassSummary, type Policy, type ScanOptions, type ScanReport, type Verdict } from './types';

/** Scans of at least this many files use worker threads (when concurrency > 1). */
const THREADS_FROM = 256;

const zeroCounts = (): Record<Category, number> =>
  Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<Category, number>;

/** Checks that `dir` is an existing folder; the one-line errors name it and say what to do. */
export async function assertDirectory(dir: string): Promise<string> {
  const root = path.resolve(dir);
  const st = await fsp.stat(root).catch((e: unknown) => {
    throw new ValidationError('not-found', `${dir}: no such folder; pass the folder that holds the class subfolders`, { path: dir, cause: e });
  });
  if (!st.isDirectory()) {
    throw new ValidationError('not-a-directory', `${dir}: is a file, not a folder; pass the folder that holds the class subfolders`, { path: dir });
  }
  return root;
}

/**
 * Examines every non-hidden file under `dir` (a Keras-style folder: one subfolder per class) on
 * `concurrency` worker threads (default: one per core), two files in flight on each so libvips
 * decodes (on libuv's pool) overlap the JS checks.
 */
export async function scan(dir: string, opts: ScanOptions = {}): Promise<ScanReport> {
  const started = Date.now();
  const root = await assertDirectory(dir);
  const policy: Policy = opts.policy ?? 'strict';
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const concurrency = Math.max(1, opts.concurrency ?? os.availableParallelism());
  const { files, hidden } = await walk(root);
  const cache = opts.cache === false ? undefined : new VerdictCache(typeof opts.cache === 'string' ? opts.cache : defaultCacheDir(), root, opts.pixels && policy === 'strict' ? 'strict+pixels' : policy, maxPixels);
  await cache?.load();

  // Threads pay off once there is enough to do (each one loads the decoders on start).
  const pool = files.length >= THREADS_FROM ? InspectPool.create(concurrency) : undefined;
  const inFlight = pool ? pool.size * 2 : concurrency;
  const check = (full: string) => (pool ? pool.run(full, { policy, maxPixels, pixels: !!opts.pixels }) : inspect(full, { policy, maxPixels, pixels: !!opts.pixels }));
  const entries: Verdict[] = new Array(files.length);
  let cached = 0;
  let done = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const i = next++;
      const rel = files[i]!;
      const full = path.join(root, ...rel.split('/'));
      const st = await fsp.stat(full).catch(() => undefined);
      const hit = st && cache?.get(rel, st.size, st.mtimeMs);
      if (hit) {
        entries[i] = { ...hit, path: rel };
        cached++;
      } else {
        let v: Verdict;
        try {
          v = { ...(await check(full)), path: rel };
        } catch (e) {
          v = { path: rel, category: 'not-an-image', flagged: true, reason: `disappeared during the scan (${(e as Error).message})`, facts: { format: 'unknown', bytes: 0 } };
        }
        entries[i] = v;
        if (st) cache?.set(rel, st.size, st.mtimeMs, v);
      }
      done++;
      opts.onProgress?.(done, files.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(inFlight, Math.max(1, files.length)) }, worker));
  } finally {
    await pool?.close();
  }

  const byCategory = zeroCounts();
  const byClass: Record<string, ClassSummary> = {};
  let flagged = 0;
  for (const e of entries) {
    byCategory[e.category]++;
    const slash = e.path.indexOf('/');
    const cls = slash < 0 ? '.' : e.path.slice(0, slash);
    const c = (byClass[cls] ??= { total: 0, flagged: 0, byCategory: zeroCounts() });
    c.total++;
    c.byCategory[e.category]++;
    if (e.flagged) {
      flagged++;
      c.flagged++;
    }
  }
  let cacheError: string | undefined;
  if (cache) await cache.save().catch((e: unknown) => (cacheError = `verdict cache not saved: ${(e as Error).message}`));
  const report: ScanReport = {
    root,
    policy,
    maxPixels,
    entries,
    summary: { total: entries.length, flagged, cached, hidden, byCategory, byClass, durationMs: Date.now() - started },
  };
  if (cacheError) report.summary.cacheError = cacheError;
  return report;
}
