import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MODEL_JSON, loadModelFromDir, readModelArtifacts, saveModelToDir } from '@pawpipe/tf-backend';
import type { tf } from '@pawpipe/tf-backend';
import { fsyncDir, fsyncFile, writeFileSynced } from './fsync';
import { TrainerError } from './errors';
import { OPTIMIZER_BIN, OPTIMIZER_JSON, loadOptimizerState, saveOptimizerState } from './optimizer-state';
import type { OptimizerState } from './optimizer-state';

export const META_JSON = 'meta.json';
const NAME = /^save_at_(\d+)$/;
const TEMP = /^\.save_at_\d+\.tmp-/;

/** What a checkpoint says about its run (meta.json). */
export interface CheckpointMeta {
  format: 'pawpipe-checkpoint';
  formatVersion: 1;
  runId: string;
  /** 1-based: save_at_{epoch} holds the weights after Keras' "Epoch {epoch}/{epochs}" */
  epoch: number;
  epochs: number;
  classNames: string[];
  imageSize: [number, number];
  seed: number;
  validationSplit: number;
  batchSize: number;
  labelMode: string;
  backend: string;
  /** where augmentation ran: 'loader' (Option 2), 'model' (Option 1) or 'none', with its parameters */
  augmentation: { placement: 'loader' | 'model' | 'none'; flip?: string; rotation?: number };
  /** training metrics of this epoch (epoch means) */
  metrics: { loss: number; accuracy: number };
  optimizer: { className: string; learningRate: number };
  /** BatchNormalization moving-average momentum the model was built with */
  batchNormMomentum?: number;
  /** batches the BatchNormalization statistics were re-estimated on before saving (0: none) */
  batchNormRecalibration?: number;
  savedAt: string;
  /**
   * Every other file of the checkpoint with its size and sha256 (hex), so a copy fetched over the
   * network can be verified file by file. `part` says whether the model needs it ('model': the
   * graph and weights) or only a resumed training does ('optimizer'). Absent in checkpoints
   * written before it existed.
   */
  files?: Record<string, CheckpointFile>;
  /** the trainer process (attempt) that saved it: consumed.jsonl says what that attempt trained on */
  attempt?: string;
}

export interface CheckpointFile { bytes: number; sha256: string; part: 'model' | 'optimizer' }

export function checkpointName(epoch: number): string {
  return `save_at_${epoch}`;
}

export interface SaveOptions {
  /** test hook for fault injection: pause this long between the files of a checkpoint */
  writeDelayMs?: number;
}

/**
 * Write a checkpoint atomically: everything goes into a hidden temporary directory in the same
 * folder, each file fsync'd, then one rename makes save_at_{epoch} appear complete. A crash leaves
 * at most a `.save_at_N.tmp-*` directory that readers ignore.
 */
export async function saveCheckpoint(root: string, model: tf.LayersModel, meta: CheckpointMeta, opts: SaveOptions = {}): Promise<string> {
  await fs.mkdir(root, { recursive: true });
  const final = path.join(root, checkpointName(meta.epoch));
  const tmp = path.join(root, `.${checkpointName(meta.epoch)}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`);
  await fs.mkdir(tmp);
  const pause = async () => {
    if (opts.writeDelayMs) await new Promise((r) => setTimeout(r, opts.writeDelayMs));
  };
  await saveModelToDir(model, tmp);
  for (const f of await fs.readdir(tmp)) await fsyncFile(path.join(tmp, f));
  await pause();
  if (model.optimizer) {
    await saveOptimizerState(model.optimizer, tmp, { learningRate: meta.optimizer.learningRate });
  }
  await pause();
  const withFiles: CheckpointMeta = { ...meta, files: await fileDigests(tmp) };
  await writeFileSynced(path.join(tmp, META_JSON), `${JSON.stringify(withFiles, null, 2)}\n`);
  await fsyncDir(tmp);
  try {
    await fs.rename(tmp, final);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      throw new TrainerError('checkpoint-exists', `${final} already exists; it is left as it is (this run's files are in ${tmp})`, final, { cause: e });
    }
    throw e;
  }
  await fsyncDir(root);
  return final;
}

/** Size and sha256 of every file of a checkpoint folder except meta.json (which lists them). */
export async function fileDigests(dir: string): Promise<Record<string, CheckpointFile>> {
  const out: Record<string, CheckpointFile> = {};
  for (const name of (await fs.readdir(dir)).sort()) {
    if (name === META_JSON) continue;
    const file = path.join(dir, name);
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of createReadStream(file)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    out[name] = { bytes, sha256: hash.digest('hex'), part: name === OPTIMIZER_BIN || name === OPTIMIZER_JSON ? 'optimizer' : 'model' };
  }
  return out;
}

export interface CheckpointEntry { epoch: number; dir: string }

/** Complete checkpoints (save_at_N directories with meta.json and model.json), by epoch. */
export async function listCheckpoints(root: string): Promise<CheckpointEntry[]> {
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: CheckpointEntry[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const dir = path.join(root, name);
    const ok = await Promise.all([META_JSON, MODEL_JSON].map((f) => fs.stat(path.join(dir, f)).then(() => true, () => false)));
    if (ok.every(Boolean)) out.push({ epoch: Number(m[1]), dir });
  }
  return out.sort((a, b) => a.epoch - b.epoch);
}

/** Temporary directories left by an interrupted save (ours to remove). */
export async function staleTemporaries(root: string): Promise<string[]> {
  try {
    return (await fs.readdir(root)).filter((n) => TEMP.test(n)).map((n) => path.join(root, n));
  } catch {
    return [];
  }
}

export async function readMeta(dir: string): Promise<CheckpointMeta> {
  const file = path.join(dir, META_JSON);
  try {
    const meta = JSON.parse(await fs.readFile(file, 'utf8')) as CheckpointMeta;
    if (meta.format !== 'pawpipe-checkpoint') throw new Error('not a pawpipe checkpoint');
    return meta;
  } catch (e) {
    throw new TrainerError('bad-checkpoint', `cannot read ${file}: ${(e as Error).message}`, file, { cause: e });
  }
}

export interface LoadedCheckpoint {
  dir: string;
  meta: CheckpointMeta;
  model: tf.LayersModel;
  optimizer: OptimizerState | null;
}

export async function loadCheckpoint(dir: string, opts: { optimizer?: boolean } = {}): Promise<LoadedCheckpoint> {
  const meta = await readMeta(dir);
  const model = await loadModelFromDir(dir);
  const hasOptimizer = await fs.stat(path.join(dir, 'optimizer.json')).then(() => true, () => false);
  const optimizer = opts.optimizer && hasOptimizer ? await loadOptimizerState(dir) : null;
  return { dir, meta, model, optimizer };
}

/**
 * The newest checkpoint that loads: a directory that fails its checks (should never happen thanks to
 * the atomic rename, but disks fail) is reported through `warn` and the previous one is tried.
 */
export async function latestCheckpoint(root: string, warn: (line: string) => void = () => undefined): Promise<CheckpointEntry | null> {
  const all = await listCheckpoints(root);
  for (let i = all.length - 1; i >= 0; i--) {
    const entry = all[i] as CheckpointEntry;
    try {
      await readMeta(entry.dir);
      await readModelArtifacts(entry.dir);
      return entry;
    } catch (e) {
      warn(`skipping ${entry.dir}: ${(e as Error).message}`);
    }
  }
  return null;
}
