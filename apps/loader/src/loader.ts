import { hostname } from 'node:os';
import { ensureDemoData } from '@pawpipe/demo-data';
import { describeDecode, indexDirectory, openDataset } from '@pawpipe/data-pipeline';
import type { DecodeMode, ImageDataset } from '@pawpipe/data-pipeline';
import { BatchWorker } from '@pawpipe/protocol';
import type { CurveClient } from '@pawpipe/protocol';
import type { DatasetFingerprint } from '@pawpipe/protocol';

export type AugmentPlacement = 'loader' | 'model' | 'none';

export interface LoaderConfig {
  dataDir: string;
  /** generate the demo data set into dataDir first if it is missing */
  ensureDemo: boolean;
  imageSize: [number, number];
  batchSize: number;
  seed: number;
  validationSplit: number;
  augment: AugmentPlacement;
  flip: 'horizontal' | 'vertical' | 'horizontal_and_vertical';
  rotation: number;
  /** the trainer's data endpoint */
  trainer: string;
  loaderId: string;
  window: number;
  concurrency: number;
  heartbeatMs: number;
  /** a folder for decoded, resized images shared by the loaders of one machine (undefined: memory only) */
  cacheDir?: string;
  /** validation categories left out of training (default: data-pipeline's); the evaluator must use the same */
  exclude?: string[];
  /** CURVE: the trainer's public key and this loader's key pair (undefined: plain TCP) */
  curve?: CurveClient;
  /** JPEG decoding: exact (Keras' pixels, the default) or fast (reduced DCT scale, see data-pipeline) */
  decode?: DecodeMode;
  /** in-memory decoded-image cache bound in bytes (default: data-pipeline's, a quarter of RAM up to 4 GiB) */
  cacheMemoryBytes?: number;
  log: (line: string) => void;
}

export function defaultLoaderId(): string {
  return `${hostname()}-${process.pid}`;
}

/** The `augment` field of the fingerprint: where augmentation runs, with its parameters. */
export function augmentTag(c: Pick<LoaderConfig, 'augment' | 'flip' | 'rotation'>): string {
  return c.augment === 'none' ? 'none' : `${c.augment}:flip=${c.flip},rotation=${c.rotation}`;
}

/**
 * A loader: indexes and validates the training subset (data-pipeline with image-validation), then
 * serves the batches the trainer assigns, augmented here when the placement is 'loader' (the
 * tutorial's Option 2, best on a CPU). With 'model' the trainer's model augments (Option 1).
 */
export class Loader {
  private worker: BatchWorker | null = null;
  dataset: ImageDataset | null = null;

  constructor(private readonly c: LoaderConfig) {}

  async start(): Promise<void> {
    const c = this.c;
    if (c.ensureDemo) await ensureDemoData({ outDir: c.dataDir });
    const index = await indexDirectory(c.dataDir, {
      seed: c.seed, validationSplit: c.validationSplit, subset: 'training', log: c.log,
      ...(c.exclude !== undefined && { exclude: c.exclude }),
    });
    const labelMode = index.classNames.length === 2 ? 'binary' : 'categorical';
    const ds = await openDataset({
      dataDir: c.dataDir, subset: 'training', imageSize: c.imageSize, batchSize: c.batchSize, seed: c.seed,
      validationSplit: c.validationSplit, labelMode, index, log: c.log,
      augment: c.augment === 'loader' ? { flip: c.flip, rotation: c.rotation } : false,
      cache: { ...(c.cacheDir !== undefined && { dir: c.cacheDir }), ...(c.cacheMemoryBytes !== undefined && { memoryBytes: c.cacheMemoryBytes }) },
      ...(c.decode !== undefined && { decode: c.decode }),
    });
    this.dataset = ds;
    const fingerprint: DatasetFingerprint = {
      classNames: ds.classNames, size: ds.size, numBatches: ds.numBatches, batchSize: ds.batchSize,
      imageSize: ds.imageSize, seed: ds.seed, validationSplit: c.validationSplit, labelMode, augment: augmentTag(c),
    };
    c.log(`serving ${ds.size} training images of [${ds.classNames.join(', ')}] as ${ds.numBatches} batches of ${ds.batchSize} at ${ds.imageSize.join('x')} (augmentation: ${fingerprint.augment}; decode: ${describeDecode(c.decode)}) to ${c.trainer}`);
    this.worker = new BatchWorker({
      endpoint: c.trainer, loaderId: c.loaderId, window: c.window, concurrency: c.concurrency, dataset: fingerprint,
      heartbeatMs: c.heartbeatMs, log: c.log, ...(c.curve && { curve: c.curve }),
      produce: async (epoch, index) => {
        const b = await ds.batch(epoch, index);
        if (b.skipped.length > 0) c.log(`batch (${epoch}, ${index}): left out ${b.skipped.map((s, i) => `${s} (${b.skippedReasons[i] ?? 'unreadable'})`).join(', ')}`);
        return { images: b.images, shape: b.shape, labels: b.labels, skipped: b.skipped };
      },
    });
    await this.worker.start();
  }

  /** Resolves when the trainer says training is over; rejects when it refuses this loader. */
  finished(): Promise<string> {
    if (!this.worker) return Promise.reject(new Error('loader not started'));
    return this.worker.finished;
  }

  stats(): { produced: number; assigned: number; resets: number } {
    return this.worker?.stats ?? { produced: 0, assigned: 0, resets: 0 };
  }

  async stop(reason = 'stopping'): Promise<void> {
    await this.worker?.stop(reason);
  }
}
