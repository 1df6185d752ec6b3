import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Verdict } from './types';

/** Bump when a change in the checks would change verdicts: old cache entries then stop matching. */
const CHECKS_VERSION = 3;

interface Entry {
  size: number;
  mtimeMs: number;
  verdict: Omit<Verdict, 'path'>;
}

interface CacheFile {
  version: number;
  root: string;
  /** The policy, plus '+pixels' when strict also decodes walked JPEGs' pixels. */
  policy: string;
  maxPixels: number;
  entries: Record<string, Entry>;
}

/** $PAWPIPE_CACHE_DIR, else ~/.cache/pawpipe (XDG's default place), never the user's data folder. */
export function defaultCacheDir(): string {
  return process.env.PAWPIPE_CACHE_DIR || path.join(os.homedir(), '.cache', 'pawpipe');
}

/**
 * Verdicts of one folder under one policy, keyed by relative path and checked against size and
 * mtime: a file that changed in any way the file system shows is examined again.
 */
export class VerdictCache {
  private old: Record<string, Entry> = {};
  private next: Record<string, Entry> = {};
  private readonly file: string;

  constructor(dir: string, private readonly root: string, private readonly policy: string, private readonly maxPixels: number) {
    const key = createHash('sha256').update(`${root}\0${policy}\0${maxPixels}\0${CHECKS_VERSION}`).digest('hex').slice(0, 24);
    this.file = path.join(dir, 'verdicts', `${key}.json`);
  }

  async load(): Promise<void> {
    try {
      const data = JSON.parse(await fsp.readFile(this.file, 'utf8')) as CacheFile;
      if (data.version === CHECKS_VERSION && data.root === this.root && data.policy === this.policy && data.maxPixels === this.maxPixels) {
        this.old = data.entries;
      }
    } catch {
      // No cache yet, or an unreadable one: start afresh (the cache is only ever a shortcut).
    }
  }

  get(rel: string, size: number, mtimeMs: number): Omit<Verdict, 'path'> | undefined {
    const e = this.old[rel];
    if (e && e.size === size && e.mtimeMs === mtimeMs) {
      this.next[rel] = e;
      return e.verdict;
    }
    return undefined;
  }

  set(rel: string, size: number, mtimeMs: number, v: Verdict): void {
    const { path: _p, ...verdict } = v;
    this.next[rel] = { size, mtimeMs, verdict };
  }

  /** Writes the entries seen in this scan (files gone since are dropped) atomically: tmp + rename. */
  async save(): Promise<void> {
    const data: CacheFile = { version: CHECKS_VERSION, root: this.root, policy: this.policy, maxPixels: this.maxPixels, entries: this.next };
    await fsp.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await fsp.writeFile(tmp, JSON.stringify(data));
    await fsp.rename(tmp, this.file);
  }
}
