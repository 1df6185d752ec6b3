import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { tf } from '@pawpipe/tf-backend';
import '@pawpipe/model'; // registers RandomFlip/RandomRotation, needed to load Option-1 checkpoints
import { decodeRgb, resizeImage } from '@pawpipe/data-pipeline';
import type { DecodeMode } from '@pawpipe/data-pipeline';
import { inspect } from '@pawpipe/image-validation';
import { latestCheckpoint, loadCheckpoint, readMeta } from '@pawpipe/trainer';
import type { CheckpointMeta } from '@pawpipe/trainer';

/** Verdict categories predict refuses (with the validator's one-line reason). */
const REFUSED = new Set<string>(['not-an-image', 'damaged', 'unsupported', 'too-large']);

export class PredictError extends Error {
  constructor(readonly code: 'no-model' | 'bad-image', message: string, readonly path?: string) {
    super(message);
    this.name = 'PredictError';
  }
}

export interface Prediction {
  path: string;
  /** every class with its probability, most likely first */
  classes: Array<{ name: string; probability: number }>;
}
export interface PredictFailure { path: string; error: string }

/**
 * Which checkpoint a --model path means: a checkpoint folder itself (meta.json inside), or a run
 * folder (its `best`, else its newest checkpoint).
 */
export async function resolveModelDir(dir: string): Promise<string> {
  const has = (p: string) => fs.stat(p).then(() => true, () => false);
  if (await has(path.join(dir, 'meta.json'))) return dir;
  if (await has(path.join(dir, 'best', 'meta.json'))) return path.join(dir, 'best');
  const latest = await latestCheckpoint(path.join(dir, 'checkpoints'));
  if (latest) return latest.dir;
  throw new PredictError('no-model', `${dir} is neither a checkpoint (meta.json + model.json) nor a run folder with best/ or checkpoints/save_at_N`, dir);
}

export class Predictor {
  private constructor(
    readonly dir: string,
    readonly meta: CheckpointMeta,
    private readonly model: tf.LayersModel,
    readonly decode: DecodeMode,
  ) {}

  /** `decode`: exact (Keras' pixels, default) or fast (JPEGs at a reduced DCT scale, never below the model's size). */
  static async open(dir: string, opts: { decode?: DecodeMode } = {}): Promise<Predictor> {
    const resolved = await resolveModelDir(dir);
    await readMeta(resolved);
    const { meta, model } = await loadCheckpoint(resolved);
    return new Predictor(resolved, meta, model, opts.decode ?? 'exact');
  }

  /**
   * Validate (strict policy: the validator's reason if the file is broken or of a format TensorFlow
   * does not read), decode, resize, predict. Files that merely decode with warnings or carry another
   * format's extension are predicted: their pixels are fine.
   */
  async predict(file: string): Promise<Prediction | PredictFailure> {
    const verdict = await inspect(file, { policy: 'strict' }).catch((e: Error) => ({ category: 'not-an-image', reason: e.message }));
    if (REFUSED.has(verdict.category)) return { path: file, error: verdict.reason };
    let pixels: Uint8Array;
    try {
      const [h, w] = this.meta.imageSize;
      const img = await decodeRgb(file, { mode: this.decode, target: { width: w, height: h } });
      pixels = resizeImage(img, h, w, 'bilinear');
    } catch (e) {
      return { path: file, error: `cannot decode: ${(e as Error).message}` };
    }
    const [h, w] = this.meta.imageSize;
    const out = tf.tidy(() => this.model.predict(tf.tensor4d(Float32Array.from(pixels), [1, h, w, 3])) as tf.Tensor);
    const probs = await out.data(); // never dataSync: it throws on WebGPU in Node
    out.dispose();
    const names = this.meta.classNames;
    // Two classes: one sigmoid unit, P(second class), as in the Keras example's `score`.
    const p = names.length === 2 ? [1 - (probs[0] as number), probs[0] as number] : Array.from(probs);
    const classes = names.map((name, i) => ({ name, probability: p[i] as number })).sort((a, b) => b.probability - a.probability);
    return { path: file, classes };
  }

  dispose(): void {
    this.model.dispose();
  }
}

/**
 * The Keras example's sentence: "This image is 84.34 percent cat and 15.66 percent dog."
 * (class order as in the checkpoint for two classes; the top `top` classes, most likely first, otherwise).
 */
export function sentence(pred: Prediction, classNames: string[], top = 3): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)} percent ${''}`;
  const parts = classNames.length === 2
    ? classNames.map((n) => `${pct((pred.classes.find((c) => c.name === n) as { probability: number }).probability)}${n.toLowerCase()}`)
    : pred.classes.slice(0, top).map((c) => `${pct(c.probability)}${c.name.toLowerCase()}`);
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  return `This image is ${list}.`;
}
