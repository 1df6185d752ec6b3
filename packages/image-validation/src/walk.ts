import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

export interface WalkResult {
  /** Paths relative to the root, '/'-separated, sorted (Keras index_directory walks in sorted order). */
  files: string[];
  /** Hidden entries skipped (names starting with '.'): files and whole folders, each counted once. */
  hidden: number;
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Lists every entry to examine under `root`: regular files, symbolic links (followed when they lead
 * to a folder, reported when dangling) and folders that carry an image name (they are listed for
 * inspect() to flag, and walked as well). Hidden names are skipped, like Keras skips hidden class
 * folders and the OS's own files (.DS_Store). Symlinked folders are followed once (loop-safe).
 */
export async function walk(root: string): Promise<WalkResult> {
  const files: string[] = [];
  let hidden = 0;
  const seen = new Set<string>([await fsp.realpath(root)]);
  const visit = async (dir: string, rel: string): Promise<void> => {
    const entries = await fsp.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => byCodeUnit(a.name, b.name));
    for (const e of entries) {
      if (e.name.startsWith('.')) {
        hidden++;
        continue;
      }
      const full = path.join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        const st = await fsp.stat(full).catch(() => undefined);
        isDir = st?.isDirectory() ?? false;
      }
      if (!isDir) {
        files.push(r);
        continue;
      }
      if (/\.(jpe?g|jpe|jfif|png|gif|bmp|webp|tiff?)$/i.test(e.name)) files.push(r);
      const real = await fsp.realpath(full);
      if (seen.has(real)) continue;
      seen.add(real);
      await visit(full, r);
    }
  };
  await visit(root, '');
  files.sort(byCodeUnit);
  return { files, hidden };
}
