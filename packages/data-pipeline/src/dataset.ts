/**
 * `openDataset`: Keras' image_dataset_from_directory as batches you can ask for by
 * (epoch, index), plus an async iterator that prepares batches ahead into a bounded buffer.
 */
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { randomInt } from 'node:crypto';
import { drawAugmentation, flipImage, rotateImage, type AugmentOptions, type ImageAugmentation } from './augment';
import { decodeRgb, DECODE_MODES, type DecodedImage, type DecodeMode } from './decode';
import { augmentationStream, epochOrder } from './epoch-order';
import { DataPipelineError } from './errors';
import { ImageCache, type CacheOptions, type CacheStats } from './image-cache';
import { indexDirectory, type Entry, type IndexResult } from './index-directory';
import { encodeLabels } from './labels';
import { Limiter } from './limiter';
import {
  checkBatchSize,
  checkBinaryClasses,
  checkImageSize,
  checkInterpolation,
  checkLabelMode,
  type Interpolation,
  type LabelMode,
} from './options';
import { cropWindowForAspect, resizeImage, uninitialised } from './resize';
import type { Policy, Validator } from './validator';

export interface DatasetOptions {
  dataDir: string;
  /** Which part of the split; leave out (with no validationSplit) to use every file for training. */
  subset?: 'training' | 'validation';
  /** [height, width], as Keras' image_size. */
  imageSize: [number, number];
  batchSize?: number;
  seed?: number;
  validationSplit?: number;
  labelMode?: LabelMode;
  interpolation?: Interpolation;
  cropToAspectRatio?: boolean;
  classNames?: string[];
  /** Keras default true. */
  shuffle?: boolean;
  /** Applied to the training subset only. */
  augment?: AugmentOptions | false;
  /** Decoded-image cache; false turns it off. */
  cache?: CacheOptions | false;
  validate?: boolean | Policy;
  /** Categories left out of training (default: not-an-image, too-large, damaged, unsupported). */
  exclude?: readonly string[];
  reportPath?: string;
  log?: ((line: string) => void) | false;
  /**
   * `exact` (default): Keras' pixels. `fast`: JPEGs decoded at the smallest DCT scale (1/2, 1/4,
   * 1/8) still >= imageSize on both axes, then the same resize; other formats as `exact`.
   */
  decode?: DecodeMode;
  /** Images decoded at once (default: the libuv thread pool size, UV_THREADPOOL_SIZE or 4). */
  decodeConcurrency?: number;
  /** Reuse an index (e.g. to open training and validation without walking the folder twice). */
  index?: IndexResult;
  validator?: Validator;
}

export interface Batch {
  epoch: number;
  index: number;
  /** NHWC, RGB, uint8. */
  images: Uint8Array;
  shape: [number, number, number, 3];
  /** int: class ids; binary: 0/1; categorical: one-hot, n × numClasses. */
  labels: Float32Array;
  labelMode: LabelMode;
  /** Paths (relative to the data folder) of the images in this batch, in order. */
  paths: string[];
  /** Files that could not be read or decoded: left out of this batch (which is then smaller). */
  skipped: string[];
  /** Why each skipped file failed, same order as `skipped`. */
  skippedReasons: string[];
}

export interface BatchesOptions {
  /** First batch index (resume mid-epoch). */
  start?: number;
  /** Take only batches with index % count === index. */
  shard?: { index: number; count: number };
  /** Batches prepared ahead while the consumer holds one (default 2; 0 = on demand). */
  prefetch?: number;
}

export interface DatasetStats {
  cache: CacheStats | undefined;
  decoded: number;
  /** Images decoded at a reduced DCT scale (decode: 'fast'), by shrink factor. */
  shrunk: Record<number, number>;
  /** Images decoded, by decoder: sharp (exact), turbojpeg or libvips (fast JPEG), bmp. */
  decoders: Partial<Record<DecodedImage['decoder'], number>>;
  skipped: number;
  /** Batches started by `batches()` and not yet handed to the consumer, now and at most. */
  pendingBatches: number;
  maxPendingBatches: number;
}

export interface ImageDataset {
  readonly classNames: string[];
  readonly subset: 'training' | 'validation';
  /** Number of files in this subset. */
  readonly size: number;
  readonly numBatches: number;
  readonly batchSize: number;
  readonly imageSize: [number, number];
  readonly labelMode: LabelMode;
  /** The seed used for order and augmentation (drawn when none was given). */
  readonly seed: number;
  readonly files: readonly Entry[];
  readonly index: IndexResult;
  /** Whether training-time augmentation applies to this dataset. */
  readonly augments: boolean;
  batch(epoch: number, index: number): Promise<Batch>;
  batches(epoch: number, opts?: BatchesOptions): AsyncIterableIterator<Batch>;
  /** The entries of batch (epoch, index), in order. */
  batchEntries(epoch: number, index: number): Entry[];
  /** One file decoded, resized (and cached), without augmentation. */
  loadImage(entry: Entry): Promise<Uint8Array>;
  stats(): DatasetStats;
}

export async function openDataset(opts: DatasetOptions): Promise<ImageDataset> {
  checkImageSize(opts.imageSize);
  const batchSize = opts.batchSize ?? 32;
  checkBatchSize(batchSize);
  const labelMode = opts.labelMode ?? 'int';
  checkLabelMode(labelMode);
  const interpolation = opts.interpolation ?? 'bilinear';
  checkInterpolation(interpolation);
  const decode = opts.decode ?? 'exact';
  if (!(DECODE_MODES as readonly string[]).includes(decode)) {
    throw new DataPipelineError('bad-argument', `\`decode\` must be "exact" or "fast", received: ${String(decode)}`);
  }
  const subset = opts.subset ?? 'training';
  const index =
    opts.index ??
    (await indexDirectory(opts.dataDir, {
      ...(opts.classNames !== undefined && { classNames: opts.classNames }),
      ...(opts.seed !== undefined && { seed: opts.seed }),
      ...(opts.validationSplit !== undefined && { validationSplit: opts.validationSplit }),
      ...(opts.subset !== undefined && { subset: opts.subset }),
      ...(opts.shuffle !== undefined && { shuffle: opts.shuffle }),
      ...(opts.validate !== undefined && { validate: opts.validate }),
      ...(opts.exclude !== undefined && { exclude: opts.exclude }),
      ...(opts.reportPath !== undefined && { reportPath: opts.reportPath }),
      ...(opts.log !== undefined && { log: opts.log }),
      ...(opts.validator !== undefined && { validator: opts.validator }),
    }));
  checkBinaryClasses(labelMode, index.classNames);
  const files = subset === 'validation' ? index.validation : index.training;
  if (files.length === 0) {
    throw new DataPipelineError('no-images', `No ${subset} images in ${opts.dataDir}: pass a validationSplit to get a validation subset`, {
      path: opts.dataDir,
    });
  }
  const seed = index.seed ?? opts.seed ?? randomInt(1_000_000);
  const cache = opts.cache === false ? undefined : new ImageCache(opts.cache ?? {});
  await cache?.prepare();
  return new FolderDataset({
    index,
    files,
    subset,
    batchSize,
    labelMode,
    interpolation,
    imageSize: opts.imageSize,
    crop: opts.cropToAspectRatio ?? false,
    decode,
    // Keras shuffles the training data every epoch; validation keeps the split order.
    reshuffle: subset === 'training' && (opts.shuffle ?? true),
    augment: subset === 'training' && opts.augment ? opts.augment : undefined,
    cache,
    seed,
    decodeConcurrency: opts.decodeConcurrency ?? Number(process.env['UV_THREADPOOL_SIZE'] ?? 4),
  });
}

/**
 * Keras' `subset="both"`: indexes the folder once (one set of messages, one validation scan) and
 * opens the training and the validation datasets from that index. `augment` applies to training.
 */
export async function openSplit(
  opts: Omit<DatasetOptions, 'subset' | 'index' | 'validationSplit'> & { validationSplit: number },
): Promise<{ training: ImageDataset; validation: ImageDataset }> {
  checkImageSize(opts.imageSize);
  const index = await indexDirectory(opts.dataDir, {
    ...(opts.classNames !== undefined && { classNames: opts.classNames }),
    ...(opts.seed !== undefined && { seed: opts.seed }),
    validationSplit: opts.validationSplit,
    subset: 'both',
    ...(opts.shuffle !== undefined && { shuffle: opts.shuffle }),
    ...(opts.validate !== undefined && { validate: opts.validate }),
    ...(opts.exclude !== undefined && { exclude: opts.exclude }),
    ...(opts.reportPath !== undefined && { reportPath: opts.reportPath }),
    ...(opts.log !== undefined && { log: opts.log }),
    ...(opts.validator !== undefined && { validator: opts.validator }),
  });
  const training = await openDataset({ ...opts, subset: 'training', index });
  const validation = await openDataset({ ...opts, subset: 'validation', index });
  return { training, validation };
}

interface FolderDatasetInit {
  index: IndexResult;
  files: Entry[];
  subset: 'training' | 'validation';
  batchSize: number;
  labelMode: LabelMode;
  interpolation: Interpolation;
  imageSize: [number, number];
  crop: boolean;
  decode: DecodeMode;
  reshuffle: boolean;
  augment: AugmentOptions | undefined;
  cache: ImageCache | undefined;
  seed: number;
  decodeConcurrency: number;
}

class FolderDataset implements ImageDataset {
  readonly classNames: string[];
  readonly subset: 'training' | 'validation';
  readonly size: number;
  readonly numBatches: number;
  readonly batchSize: number;
  readonly imageSize: [number, number];
  readonly labelMode: LabelMode;
  readonly seed: number;
  readonly files: readonly Entry[];
  readonly index: IndexResult;
  readonly augments: boolean;
  private readonly init: FolderDatasetInit;
  private readonly limiter: Limiter;
  private readonly orders = new Map<number, number[]>();
  private decoded = 0;
  private readonly shrunk: Record<number, number> = {};
  private readonly decoders: DatasetStats['decoders'] = {};
  private skippedCount = 0;
  private pending = 0;
  private maxPending = 0;

  constructor(init: FolderDatasetInit) {
    this.init = init;
    this.index = init.index;
    this.classNames = init.index.classNames;
    this.subset = init.subset;
    this.files = init.files;
    this.size = init.files.length;
    this.batchSize = init.batchSize;
    this.numBatches = Math.ceil(this.size / init.batchSize);
    this.imageSize = init.imageSize;
    this.labelMode = init.labelMode;
    this.seed = init.seed;
    this.augments = init.augment !== undefined;
    this.limiter = new Limiter(Math.max(1, init.decodeConcurrency));
  }

  stats(): DatasetStats {
    return {
      cache: this.init.cache ? { ...this.init.cache.stats } : undefined,
      decoded: this.decoded,
      shrunk: { ...this.shrunk },
      decoders: { ...this.decoders },
      skipped: this.skippedCount,
      pendingBatches: this.pending,
      maxPendingBatches: this.maxPending,
    };
  }

  private order(epoch: number): number[] | undefined {
    if (!this.init.reshuffle) return undefined;
    let o = this.orders.get(epoch);
    if (!o) {
      o = epochOrder(this.seed, epoch, this.size);
      if (this.orders.size >= 4) this.orders.delete(this.orders.keys().next().value!);
      this.orders.set(epoch, o);
    }
    return o;
  }

  private checkPosition(epoch: number, index: number): void {
    if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffffffff) {
      throw new DataPipelineError('bad-argument', `\`epoch\` must be an integer >= 0, received: ${epoch}`);
    }
    if (!Number.isInteger(index) || index < 0 || index >= this.numBatches) {
      throw new DataPipelineError('bad-argument', `Batch \`index\` must be an integer in [0, ${this.numBatches - 1}], received: ${index}`);
    }
  }

  batchEntries(epoch: number, index: number): Entry[] {
    this.checkPosition(epoch, index);
    const order = this.order(epoch);
    const from = index * this.batchSize;
    const to = Math.min(from + this.batchSize, this.size);
    const out: Entry[] = [];
    for (let i = from; i < to; i++) out.push(this.files[order ? order[i]! : i]!);
    return out;
  }

  async loadImage(entry: Entry): Promise<Uint8Array> {
    const [h, w] = this.imageSize;
    const file = path.join(this.index.root, entry.path);
    const cache = this.init.cache;
    let key: string | undefined;
    if (cache) {
      const st = statSync(file); // cheap and synchronous: the identity check runs on every epoch
      key = ImageCache.key({
        file,
        size: st.size,
        mtimeMs: st.mtimeMs,
        height: h,
        width: w,
        interpolation: this.init.interpolation,
        crop: this.init.crop,
        decode: this.init.decode,
      });
      const hit = await cache.get(key, h * w * 3);
      if (hit) return hit;
    }
    const img = await this.limiter.run(async () => {
      const windowOf = (sw: number, sh: number) => cropWindowForAspect(sw, sh, h, w);
      const src = await decodeRgb(file, {
        mode: this.init.decode,
        target: { width: w, height: h },
        ...(this.init.crop && { window: windowOf }),
      });
      if (src.shrink > 1) this.shrunk[src.shrink] = (this.shrunk[src.shrink] ?? 0) + 1;
      this.decoders[src.decoder] = (this.decoders[src.decoder] ?? 0) + 1;
      const win = this.init.crop ? cropWindowForAspect(src.width, src.height, h, w) : undefined;
      return resizeImage(src, h, w, this.init.interpolation, win);
    });
    this.decoded++;
    if (cache && key) await cache.set(key, img);
    return img;
  }

  async batch(epoch: number, index: number): Promise<Batch> {
    const entries = this.batchEntries(epoch, index);
    const [h, w] = this.imageSize;
    const imageBytes = h * w * 3;
    const loaded = await Promise.all(
      entries.map((e) =>
        this.loadImage(e).then(
          (data) => ({ ok: true as const, data }),
          (err: unknown) => ({ ok: false as const, reason: err instanceof Error ? err.message.split('\n')[0]! : String(err) }),
        ),
      ),
    );
    const rng = this.init.augment ? augmentationStream(this.seed, epoch, index) : undefined;
    const okCount = loaded.filter((l) => l.ok).length;
    const images = uninitialised(okCount * imageBytes); // each slot is written whole below
    const labels: number[] = [];
    const paths: string[] = [];
    const skipped: string[] = [];
    const skippedReasons: string[] = [];
    let n = 0;
    loaded.forEach((l, k) => {
      // Draw for every slot, loaded or not, so one broken file does not shift the others' draws.
      const aug = rng ? drawAugmentation(rng, this.init.augment!) : undefined;
      if (!l.ok) {
        skipped.push(entries[k]!.path);
        skippedReasons.push(l.reason);
        return;
      }
      const slot = images.subarray(n * imageBytes, (n + 1) * imageBytes);
      if (aug) {
        applyAugmentation(l.data, slot, w, h, aug);
      } else {
        slot.set(l.data);
      }
      labels.push(entries[k]!.label);
      paths.push(entries[k]!.path);
      n++;
    });
    this.skippedCount += skipped.length;
    return {
      epoch,
      index,
      images,
      shape: [n, h, w, 3],
      labels: encodeLabels(labels, this.labelMode, this.classNames.length),
      labelMode: this.labelMode,
      paths,
      skipped,
      skippedReasons,
    };
  }

  batches(epoch: number, opts: BatchesOptions = {}): AsyncIterableIterator<Batch> {
    const start = opts.start ?? 0;
    const prefetch = opts.prefetch ?? 2;
    const shard = opts.shard ?? { index: 0, count: 1 };
    if (!Number.isInteger(start) || start < 0) throw new DataPipelineError('bad-argument', `\`start\` must be an integer >= 0, received: ${start}`);
    if (!Number.isInteger(prefetch) || prefetch < 0) throw new DataPipelineError('bad-argument', `\`prefetch\` must be an integer >= 0, received: ${prefetch}`);
    if (!Number.isInteger(shard.count) || shard.count < 1 || !Number.isInteger(shard.index) || shard.index < 0 || shard.index >= shard.count) {
      throw new DataPipelineError('bad-argument', `\`shard\` must have 0 <= index < count, received: ${JSON.stringify(shard)}`);
    }
    const indices: number[] = [];
    for (let i = start; i < this.numBatches; i++) if (i % shard.count === shard.index) indices.push(i);
    return this.prefetching(epoch, indices, prefetch);
  }

  private async *prefetching(epoch: number, indices: number[], prefetch: number): AsyncGenerator<Batch> {
    const inflight: Array<Promise<Batch>> = [];
    let next = 0;
    const startOne = () => {
      const p = this.batch(epoch, indices[next++]!);
      p.catch(() => {}); // observed when awaited below; avoids an unhandled rejection meanwhile
      inflight.push(p);
      this.pending++;
      this.maxPending = Math.max(this.maxPending, this.pending);
    };
    try {
      while (next < indices.length || inflight.length > 0) {
        while (next < indices.length && inflight.length < Math.max(1, prefetch)) startOne();
        const p = inflight.shift()!;
        this.pending--;
        const b = await p;
        // Start the following batches before handing this one over: preparing overlaps consuming.
        if (prefetch > 0) while (next < indices.length && inflight.length < prefetch) startOne();
        yield b;
      }
    } finally {
      this.pending -= inflight.length; // abandoned by an early break: finish in the background
    }
  }
}

/** Keras' RandomFlip then RandomRotation; one pass when rotating (flips folded into the matrix). */
function applyAugmentation(src: Uint8Array, slot: Uint8Array, w: number, h: number, aug: ImageAugmentation): void {
  if (aug.angle === 0) {
    slot.set(src);
    if (aug.flipHorizontal || aug.flipVertical) flipImage(slot, w, h, 3, aug.flipHorizontal, aug.flipVertical);
    return;
  }
  rotateImage(src, w, h, 3, aug.angle, slot, aug.flipHorizontal, aug.flipVertical);
}
