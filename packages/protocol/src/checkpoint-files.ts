import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ManifestFile, RefusalCode } from './checkpoint-messages';
import { SAFE_FILE_NAME } from './checkpoint-codec';

// What the checkpoint server reads from disk. The checkpoint layout is the trainer's
// (save_at_{epoch}/ with meta.json and model.json); it is restated here because the protocol
// package sits below the trainer package and never imports it.

export const CHECKPOINT_DIR_NAME = /^save_at_(\d+)$/;
export const META_FILE = 'meta.json';
const MODEL_FILE = 'model.json';
const OPTIMIZER_FILES = new Set(['optimizer.json', 'optimizer.bin']);

/** Why a request cannot be served; becomes a `refused` reply. */
export class Refusal extends Error {
  constructor(readonly code: RefusalCode, message: string) {
    super(message);
  }
}

export interface ServedFile extends ManifestFile {
  part: 'meta' | 'model' | 'optimizer';
  /** absolute path, inside the checkpoints folder */
  path: string;
}

export interface ServedCheckpoint { runId: string; epoch: number; files: ServedFile[] }

/** Epochs of the complete checkpoints in `root` (folders with meta.json and model.json), ascending. */
export async function completeEpochs(root: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: number[] = [];
  for (const name of names) {
    const m = CHECKPOINT_DIR_NAME.exec(name);
    if (!m) continue;
    // A folder that is a symbolic link is no checkpoint of this folder (it is never served either).
    if (!(await fs.lstat(path.join(root, name)).then((s) => s.isDirectory(), () => false))) continue;
    const ok = await Promise.all([META_FILE, MODEL_FILE].map((f) => fs.stat(path.join(root, name, f)).then((s) => s.isFile(), () => false)));
    if (ok.every(Boolean)) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

export async function sha256OfFile(file: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** The real path of `p`, which must lie inside `rootReal` (symbolic links cannot lead out). */
async function inside(rootReal: string, p: string, what: string): Promise<string> {
  let real: string;
  try {
    real = await fs.realpath(p);
  } catch {
    throw new Refusal('not-found', `${what} does not exist`);
  }
  if (!real.startsWith(rootReal + path.sep)) throw new Refusal('forbidden', `${what} lies outside the checkpoints folder`);
  return real;
}

/**
 * The files of save_at_{epoch}: meta.json (hashed now), then every regular file the meta names
 * with the sha256 it names (computed here for checkpoints written before meta.json had them).
 * Only plain files directly inside the checkpoint folder are ever listed, hence ever served.
 */
export async function readCheckpoint(root: string, epoch: number, runId: string): Promise<ServedCheckpoint> {
  const rootReal = await fs.realpath(root).catch(() => {
    throw new Refusal('not-found', 'the trainer has no checkpoints folder yet');
  });
  const name = `save_at_${epoch}`;
  const dir = await inside(rootReal, path.join(rootReal, name), name);
  if (!(await completeEpochs(rootReal)).includes(epoch)) throw new Refusal('not-found', `${name} is not a complete checkpoint of this run`);
  const metaPath = await inside(rootReal, path.join(dir, META_FILE), `${name}/${META_FILE}`);
  let meta: { runId?: unknown; files?: Record<string, { bytes: number; sha256: string; part?: string }> };
  try {
    meta = JSON.parse(await fs.readFile(metaPath, 'utf8')) as typeof meta;
  } catch (e) {
    throw new Refusal('unreadable', `${name}/${META_FILE} cannot be read: ${(e as Error).message}`);
  }
  if (meta.runId !== runId) throw new Refusal('other-run', `${name} belongs to run ${String(meta.runId)}, this trainer serves run ${runId}`);
  const files: ServedFile[] = [{ name: META_FILE, part: 'meta', path: metaPath, ...(await sha256OfFile(metaPath)) }];
  const names = meta.files ? Object.keys(meta.files).sort() : (await fs.readdir(dir)).filter((n) => n !== META_FILE).sort();
  for (const n of names) {
    if (!SAFE_FILE_NAME.test(n) || n === META_FILE) throw new Refusal('unreadable', `${name}/${META_FILE} names the file ${JSON.stringify(n)}, which is not a plain file name`);
    const p = path.join(dir, n);
    const st = await fs.lstat(p).catch(() => null);
    if (!st?.isFile()) {
      if (meta.files) throw new Refusal('unreadable', `${name}/${n}, named in its meta.json, is missing or not a regular file`);
      continue; // an old checkpoint: only its regular files are served
    }
    const listed = meta.files?.[n];
    const digest = listed ? { bytes: listed.bytes, sha256: listed.sha256 } : await sha256OfFile(p);
    const part = listed?.part === 'optimizer' || (!listed && OPTIMIZER_FILES.has(n)) ? 'optimizer' : 'model';
    files.push({ name: n, part, path: p, ...digest });
  }
  return { runId, epoch, files };
}

/** Up to `length` bytes of `file` from `offset`. */
export async function readChunk(file: string, offset: number, length: number): Promise<{ data: Buffer; size: number }> {
  const fh = await fs.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    if (offset > size) throw new Refusal('malformed', `offset ${offset} is past the end of ${path.basename(file)} (${size} bytes)`);
    const n = Math.min(length, size - offset);
    const data = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await fh.read(data, got, n - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { data: got === n ? data : data.subarray(0, got), size };
  } finally {
    await fh.close();
  }
}
