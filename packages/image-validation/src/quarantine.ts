import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ValidationError } from './errors';
import { exists, moveFile, PARTIAL_SUFFIX, sameBytes } from './move';
import type { Category, ScanReport, Verdict } from './types';

/** The journal a quarantine keeps in its folder. JSON Lines, appended and fsync'd line by line. */
export const MANIFEST_NAME = 'quarantine-manifest.jsonl';

type Line =
  | { type: 'header'; version: 1; root: string; created: string }
  | { type: 'intent'; seq: number; path: string; to: string; bytes: number; category: Category; reason: string }
  | { type: 'done'; seq: number }
  | { type: 'restored'; seq: number };

interface Manifest {
  file: string;
  root: string;
  dir: string;
  lines: Line[];
}

const toNative = (base: string, rel: string) => path.join(base, ...rel.split('/'));

/** Opens a journal for appending; every line is on disk (fsync) before the caller goes on. */
class Journal {
  private constructor(private readonly fh: fsp.FileHandle) {}
  static async open(file: string): Promise<Journal> {
    return new Journal(await fsp.open(file, 'a'));
  }
  async append(line: Line): Promise<void> {
    await this.fh.write(`${JSON.stringify(line)}\n`);
    await this.fh.datasync();
  }
  close(): Promise<void> {
    return this.fh.close();
  }
}

/**
 * Reads a manifest. A torn last line (the process was killed while writing it) is ignored: its
 * intent was never acted on, because moves happen only after the intent line is on disk.
 */
export async function readManifest(file: string): Promise<Manifest> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw new ValidationError('not-found', `${file}: cannot read the quarantine manifest; pass the ${MANIFEST_NAME} a quarantine wrote`, { path: file, cause: e });
  }
  const raw = text.split('\n');
  const lines: Line[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '') continue;
    try {
      lines.push(JSON.parse(raw[i]!) as Line);
    } catch (e) {
      const last = raw.slice(i + 1).every((l) => l === '');
      if (last && !text.endsWith('\n')) break;
      throw new ValidationError('bad-manifest', `${file}: line ${i + 1} is not valid JSON; this is not a manifest written by validate-images`, { path: file, cause: e });
    }
  }
  const header = lines[0];
  if (!header || header.type !== 'header' || typeof header.root !== 'string') {
    throw new ValidationError('bad-manifest', `${file}: no quarantine header on the first line; pass the ${MANIFEST_NAME} a quarantine wrote`, { path: file });
  }
  return { file, root: header.root, dir: path.dirname(file), lines };
}

export interface QuarantineResult {
  manifest: string;
  moved: string[];
  failed: Array<{ path: string; error: string }>;
}

/**
 * Moves the given files (paths relative to report.root) into `dir`, keeping their relative paths.
 * For each file: an intent line is made durable, then the file moves, then a done line follows.
 * So after a kill -9 at any point every file is in place or in the quarantine, and the manifest
 * names it; `restore` copes with every such state.
 */
export async function quarantine(report: ScanReport, files: Verdict[], dir: string): Promise<QuarantineResult> {
  const qdir = path.resolve(dir);
  const rel = path.relative(report.root, qdir);
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
    throw new ValidationError('usage', `--quarantine ${dir}: is inside the scanned folder, where the next scan would find the files again; pick a folder outside ${report.root}`, { path: dir });
  }
  await fsp.mkdir(qdir, { recursive: true });
  const file = path.join(qdir, MANIFEST_NAME);
  let seq = 0;
  const taken = new Set<string>();
  if (await exists(file)) {
    const m = await readManifest(file);
    if (m.root !== report.root) {
      throw new ValidationError('conflict', `--quarantine ${dir}: already holds files from ${m.root}; pick another folder for ${report.root}`, { path: dir });
    }
    for (const l of m.lines) if (l.type === 'intent') {
      seq = Math.max(seq, l.seq);
      taken.add(l.to);
    }
  }
  const journal = await Journal.open(file);
  const result: QuarantineResult = { manifest: file, moved: [], failed: [] };
  try {
    if (seq === 0 && (await fsp.stat(file)).size === 0) {
      await journal.append({ type: 'header', version: 1, root: report.root, created: new Date().toISOString() });
    }
    for (const v of files) {
      let to = v.path;
      for (let n = 1; taken.has(to) || (await exists(toNative(qdir, to))); n++) to = `${v.path}~${n}`;
      taken.add(to);
      const s = ++seq;
      await journal.append({ type: 'intent', seq: s, path: v.path, to, bytes: v.facts.bytes, category: v.category, reason: v.reason });
      try {
        await moveFile(toNative(report.root, v.path), toNative(qdir, to));
        await journal.append({ type: 'done', seq: s });
        result.moved.push(v.path);
      } catch (e) {
        result.failed.push({ path: v.path, error: (e as Error).message });
      }
    }
  } finally {
    await journal.close();
  }
  return result;
}

export interface RestoreResult {
  root: string;
  restored: string[];
  /** Entries whose file was already back in place (never moved, or restored before). */
  inPlace: string[];
  /** Both a quarantined copy and a different file at the original path: left alone. */
  conflicts: string[];
  /** Neither copy found (someone removed it by hand). */
  missing: string[];
}

/** Puts every file of a quarantine back where it came from; safe to run again after a crash. */
export async function restore(manifestFile: string): Promise<RestoreResult> {
  const m = await readManifest(path.resolve(manifestFile));
  const restoredSeqs = new Set(m.lines.filter((l) => l.type === 'restored').map((l) => (l as { seq: number }).seq));
  const res: RestoreResult = { root: m.root, restored: [], inPlace: [], conflicts: [], missing: [] };
  const journal = await Journal.open(m.file);
  try {
    for (const l of m.lines) {
      if (l.type !== 'intent' || restoredSeqs.has(l.seq)) continue;
      const original = toNative(m.root, l.path);
      const held = toNative(m.dir, l.to);
      await fsp.rm(held + PARTIAL_SUFFIX, { force: true }); // a cross-device copy cut short
      const [hasHeld, hasOriginal] = await Promise.all([exists(held), exists(original)]);
      if (hasHeld && !hasOriginal) {
        await moveFile(held, original);
        res.restored.push(l.path);
      } else if (hasHeld && hasOriginal) {
        // A cross-device move killed between copy and unlink leaves two identical copies.
        if (!(await sameBytes(held, original))) {
          res.conflicts.push(l.path);
          continue;
        }
        await fsp.unlink(held);
        res.inPlace.push(l.path);
      } else if (hasOriginal) {
        res.inPlace.push(l.path);
      } else {
        res.missing.push(l.path);
        continue;
      }
      await journal.append({ type: 'restored', seq: l.seq });
    }
  } finally {
    await journal.close();
  }
  return res;
}

/** Deletes the given files (only ever called behind --delete --yes). */
export async function deleteFiles(root: string, files: Verdict[]): Promise<{ deleted: string[]; failed: Array<{ path: string; error: string }> }> {
  const out = { deleted: [] as string[], failed: [] as Array<{ path: string; error: string }> };
  for (const v of files) {
    try {
      const p = toNative(root, v.path);
      const st = await fsp.lstat(p);
      if (st.isDirectory()) await fsp.rmdir(p);
      else await fsp.unlink(p);
      out.deleted.push(v.path);
    } catch (e) {
      out.failed.push({ path: v.path, error: (e as Error).message });
    }
  }
  return out;
}
