import { tf } from '@pawpipe/tf-backend';
import type { KerasProgress } from './progress';
import type { TrainingBatch } from './tensors';
import { batchToTensors } from './tensors';
import { trainStep } from '@pawpipe/model';

export interface EpochResult {
  /** 0-based */
  epoch: number;
  loss: number;
  accuracy: number;
  steps: number;
  images: number;
  seconds: number;
  /** time spent waiting for the next batch (the data source was behind) */
  waitSeconds: number;
  /** time spent re-estimating BatchNormalization statistics (see FitOptions.recalibrateBatchNorm) */
  recalibrationSeconds: number;
}

export interface FitOptions {
  /** compiled (see compileForClasses) */
  model: tf.LayersModel;
  numClasses: number;
  /** train epochs [startEpoch, epochs), 0-based */
  startEpoch?: number;
  epochs: number;
  numBatches: number;
  batches: (epoch: number) => AsyncIterable<TrainingBatch>;
  progress?: KerasProgress | null;
  onBatch?: (batch: TrainingBatch) => void | Promise<void>;
  /**
   * Before each epoch's end callback, run the epoch's last N batches forward in training mode with
   * the final weights (no gradient step): BatchNormalization's moving mean and variance, which
   * inference uses, then describe these weights instead of a lagging average over the epoch
   * ("precise BN", Wu & Johnson 2021, "Rethinking 'Batch' in BatchNorm"). 0 (default): off, as Keras.
   */
  recalibrateBatchNorm?: number;
  /** images per forward/backward pass; gradients of a batch's micro-batches are summed (default: the whole batch) */
  microBatch?: number;
  /** runs after each epoch (checkpointing belongs here) */
  onEpochEnd?: (result: EpochResult) => void | Promise<void>;
}

/**
 * The training loop: one trainOnBatch per batch, Keras' running means of loss and accuracy
 * (weighted by batch size), tensors disposed every step so tf.memory().numTensors stays flat.
 */
export async function fit(opts: FitOptions): Promise<EpochResult[]> {
  const results: EpochResult[] = [];
  for (let epoch = opts.startEpoch ?? 0; epoch < opts.epochs; epoch++) {
    const t0 = performance.now();
    let wait = 0;
    let steps = 0;
    let images = 0;
    let lossSum = 0;
    let accSum = 0;
    opts.progress?.epochStart(epoch, opts.epochs, opts.numBatches);
    const it = opts.batches(epoch)[Symbol.asyncIterator]();
    const recent: TrainingBatch[] = [];
    const keep = opts.recalibrateBatchNorm ?? 0;
    for (;;) {
      const w0 = performance.now();
      const next = await it.next();
      wait += performance.now() - w0;
      if (next.done) break;
      const batch = next.value;
      const n = batch.shape[0];
      const { xs, ys } = batchToTensors(batch, opts.numClasses);
      let out: number | number[];
      try {
        if (opts.microBatch && opts.microBatch < n) {
          const step = await trainStep(opts.model, opts.model.optimizer, xs, ys, { microBatch: opts.microBatch });
          out = [step.loss, step.accuracy];
        } else {
          out = await opts.model.trainOnBatch(xs, ys);
        }
      } finally {
        xs.dispose();
        ys.dispose();
      }
      const [loss, acc] = Array.isArray(out) ? out : [out, Number.NaN];
      lossSum += (loss as number) * n;
      accSum += (acc as number) * n;
      images += n;
      steps++;
      if (keep > 0) {
        recent.push(batch);
        if (recent.length > keep) recent.shift();
      }
      await opts.onBatch?.(batch);
      opts.progress?.step(steps, { loss: lossSum / images, accuracy: accSum / images });
      // A training step resolves through microtasks only: without a turn of the event loop here,
      // sockets (heartbeats, incoming batches) and timers would starve while batches are buffered.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const r0 = performance.now();
    for (const b of recent) {
      const { xs, ys } = batchToTensors(b, opts.numClasses);
      tf.tidy(() => { opts.model.apply(xs, { training: true }); });
      xs.dispose();
      ys.dispose();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const recalibration = performance.now() - r0;
    const result: EpochResult = {
      epoch, loss: lossSum / Math.max(1, images), accuracy: accSum / Math.max(1, images), steps, images,
      seconds: (performance.now() - t0) / 1000, waitSeconds: wait / 1000, recalibrationSeconds: recalibration / 1000,
    };
    opts.progress?.epochEnd(steps, { loss: result.loss, accuracy: result.accuracy });
    results.push(result);
    await opts.onEpochEnd?.(result);
  }
  return results;
}
