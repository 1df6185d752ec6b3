import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export type Resolved = { ok: true; file: string } | { ok: false; status: 400 | 403 | 404; why: string };

/**
 * The file a URL path names under `root` (itself a realpath), or why it is refused. Refused before
 * touching the disk: encoded dots, slashes and backslashes (`%2e`, `%2f`, `%5c`: a proxy or a
 * second decode could turn them into `..`), `.` and `..` segments, backslashes, NUL, an absolute
 * path (`//etc`, `C:`). Then the realpath must still lie under root, so a symlink leading out is
 * refused too; only regular files are served.
 */
export async function resolveUnder(root: string, rawPath: string): Promise<Resolved> {
  if (/%(2e|2f|5c|00)/i.test(rawPath)) return { ok: false, status: 400, why: 'encoded dot, slash or NUL in the path' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, status: 400, why: 'malformed percent-encoding' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { ok: false, status: 400, why: 'backslash or NUL in the path' };
  if (decoded.startsWith('/') || /^[a-zA-Z]:/.test(decoded)) return { ok: false, status: 400, why: 'absolute path' };
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, status: 400, why: '. or .. in the path' };
  if (segments.some((s) => s === '')) return { ok: false, status: 404, why: 'empty path segment' };
  const joined = path.join(root, ...segments);
  let real: string;
  try {
    real = await fs.realpath(joined);
  } catch {
    return { ok: false, status: 404, why: 'no such file' };
  }
  if (!isInside(root, real)) return { ok: false, status: 403, why: 'a symlink leads out of the runs folder' };
  const st = await fs.stat(real).catch(() => undefined);
  if (!st?.isFile()) return { ok: false, status: 404, why: 'not a file' };
  return { ok: true, file: real };
}

export function isInside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}
