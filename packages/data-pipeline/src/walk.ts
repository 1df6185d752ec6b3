/**
 * Listing a data folder in exactly the order Keras does (keras/src/utils/dataset_utils.py:
 * `index_directory`, `index_subdirectory`, `iter_valid_files`).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** Keras `ALLOWLIST_FORMATS` of image_dataset_from_directory. */
export const ALLOWLIST_FORMATS: readonly string[] = ['.bmp', '.gif', '.jpeg', '.jpg', '.png'];

/**
 * Python's `str` ordering: by Unicode code point. JS `<` compares UTF-16 code units, which
 * differs once a string holds characters above U+FFFF (surrogates sort before U+E000-U+FFFF).
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Only differing surrogates need care: compare whole code points from here on.
    const pa = a.codePointAt(i)!;
    const pb = b.codePointAt(i)!;
    // A low surrogate reached mid-pair cannot differ here (the high ones were equal, so the
    // pair started earlier and codePointAt(i) on the low half returns the half itself).
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  }
  return a.length - b.length;
}

export function sortedByCodePoint(xs: readonly string[]): string[] {
  return [...xs].sort(compareCodePoints);
}

/** `fname.lower().endswith(formats)` as Keras filters files. */
export function hasAllowedExtension(fname: string): boolean {
  const lower = fname.toLowerCase();
  return ALLOWLIST_FORMATS.some((ext) => lower.endsWith(ext));
}

/**
 * Class folders: `sorted(os.listdir(directory))`, kept when `os.path.isdir` (which follows
 * symlinks) and the name does not start with '.'.
 */
export async function listClassDirectories(directory: string): Promise<string[]> {
  const names = await fs.readdir(directory);
  const out: string[] = [];
  for (const name of sortedByCodePoint(names)) {
    if (name.startsWith('.')) continue;
    if (await isDirFollowingLinks(path.join(directory, name))) out.push(name);
  }
  return out;
}

async function isDirFollowingLinks(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false; // a dangling link: os.path.isdir is False
  }
}

/**
 * Files of one class folder, relative to it with '/' separators, in Keras' order:
 * `for root, _, files in sorted(os.walk(dir), key=lambda x: x[0]): for f in sorted(files)`.
 * os.walk (followlinks=False) lists a symlink to a folder among the folders but does not enter
 * it; links to files count as files; a folder it cannot read is silently left out. Sorting by
 * the whole root string (not a depth-first walk) is what makes 'a-b' come before 'a/x'.
 */
export async function walkClassFiles(classDir: string): Promise<string[]> {
  const roots: Array<{ rel: string; files: string[] }> = [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    const abs = rel === '' ? classDir : path.join(classDir, rel);
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(abs, { withFileTypes: true });
    } catch {
      continue; // os.walk's default onerror=None skips unreadable folders
    }
    const files: string[] = [];
    for (const e of entries) {
      const childRel = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) {
        pending.push(childRel);
      } else if (e.isSymbolicLink()) {
        // os.walk: a link to a folder goes to `dirs` (not walked); anything else is a file.
        if (!(await isDirFollowingLinks(path.join(abs, e.name)))) files.push(e.name);
      } else {
        files.push(e.name);
      }
    }
    roots.push({ rel, files });
  }
  // Full roots share the class-folder prefix, so comparing the relative parts is the same
  // order as Python comparing `root` strings ('' sorts first, as the bare prefix does).
  roots.sort((a, b) => compareCodePoints(a.rel, b.rel));
  const out: string[] = [];
  for (const r of roots) {
    for (const f of sortedByCodePoint(r.files)) {
      if (hasAllowedExtension(f)) out.push(r.rel === '' ? f : `${r.rel}/${f}`);
    }
  }
  return out;
}
