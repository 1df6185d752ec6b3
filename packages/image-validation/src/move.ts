import { constants, promises as fsp } from 'node:fs';
import * as path from 'node:path';

/** Suffix of a copy in progress when a move crosses file systems. */
export const PARTIAL_SUFFIX = '.pawpipe-partial';

async function fsyncPath(p: string): Promise<void> {
  const fh = await fsp.open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Moves a file without ever having zero copies of it: rename when both ends share a file system;
 * across file systems (EXDEV) copy to a partial name, fsync, rename into place, then unlink the
 * source. A crash leaves the source in place, or both copies, or only the destination.
 * Never overwrites: fails when `to` exists.
 */
export async function moveFile(from: string, to: string): Promise<void> {
  await fsp.mkdir(path.dirname(to), { recursive: true });
  if (await exists(to)) throw Object.assign(new Error(`${to} already exists`), { code: 'EEXIST' });
  try {
    await fsp.rename(from, to);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
  }
  const partial = to + PARTIAL_SUFFIX;
  await fsp.copyFile(from, partial, constants.COPYFILE_EXCL);
  await fsyncPath(partial);
  await fsp.rename(partial, to);
  await fsyncPath(path.dirname(to)).catch(() => undefined); // some file systems refuse fsync on folders
  await fsp.unlink(from);
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}

export async function sameBytes(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([fsp.readFile(a), fsp.readFile(b)]);
  return x.equals(y);
}
