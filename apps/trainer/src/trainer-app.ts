import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, fstatSync, openSync, promises as fs, readSync } from 'node:fs';
import * as path from 'node:path';
import { initBackend, releaseWebGpu, tf } from '@pawpipe/tf-backend';
import type { BackendChoice } from '@pawpipe/tf-backend';
import { autoMicroBatch, makeModel, modelSummary, plotModel } from '@pawpipe/model';
import { BatchBroker, CheckpointServer, EventPublisher, batchMessageBudget } from '@pawpipe/protocol';
import type { CurveServer, DatasetExpectation } from '@pawpipe/protocol';
import {
  KerasProgress, appendLineSynced, checkpointName, compileForClasses, fit, latestCheckpoint, loadCheckpoint,
  saveCheckpoint, staleTemporaries, withBatchNormMomentum, DEFAULT_LEARNING_RATE,
} from '@pawpipe/trainer';
import { TrainerError } from '@pawpipe/trainer';
import type { CheckpointMeta, ConsumedLine, EpochResult, ProgressStream } from '@pawpipe/trainer';

export interface TrainerConfig {
  runDir: string;
  epochs: number;
  imageSize: [number, number];
  batchSize: number;
  backend: BackendChoice;
  /** XNNPACK threads when the backend is wasm (1: the single-threaded SIMD build, the default) */
  wasmThreads?: number;
  dataEndpoint: string;
  eventsEndpoint: string;
  /** where evaluators on other machines fetch checkpoints (ROUTER); undefined: not served */
  checkpointEndpoint?: string;
  /** after the last epoch, keep serving checkpoints while an evaluator is still fetching, at most this long (default 10 min) */
  serveGraceMs?: number;
  learningRate: number;
  /** BatchNormalization moving-average momentum for a new model (undefined: the model's, Keras' 0.99) */
  bnMomentum?: number;
  /** re-estimate BatchNormalization statistics on the epoch's last N batches before each checkpoint (0: off) */
  recalibrateBn: number;
  /** images per forward/backward pass ('auto': what fits the backend's memory) */
  microBatch: number | 'auto';
  heartbeatMs: number;
  liveness: number;
  /** batches handed out or buffered ahead of the one being trained on */
  maxAhead: number;
  /** how long to keep answering DONE to late loaders after the last epoch */
  doneGraceMs: number;
  /** fault-injection hook for tests: pause between checkpoint files */
  checkpointWriteDelayMs?: number;
  /** CURVE for the data and event sockets (undefined: plain TCP, loopback only unless --insecure) */
  curve?: CurveServer;
  out: ProgressStream;
  log: (line: string) => void;
}

export interface TrainSummary {
  runId: string;
  startEpoch: number;
  epochs: number;
  results: EpochResult[];
  checkpointsDir: string;
  lastCheckpoint: string | null;
  waitShare: number;
}

/** File names inside the run folder. */
export const RUN_FILES = {
  checkpoints: 'checkpoints',
  history: 'history.jsonl',
  consumed: 'consumed.jsonl',
  modelSummary: 'model-summary.txt',
  modelGraph: 'model.png',
} as const;

/**
 * The trainer process: binds the data channel (ROUTER) and the event channel (PUB), waits for
 * loaders, resumes from the newest complete checkpoint if there is one, trains epoch by epoch,
 * and after each epoch saves save_at_{epoch}, appends the history and publishes an event.
 */
export class TrainerApp {
  private broker: BatchBroker | null = null;
  private publisher: EventPublisher | null = null;
  private checkpointServer: CheckpointServer | null = null;
  private stopped = false;
  private stopping: Promise<void> | null = null;

  constructor(private readonly c: TrainerConfig) {}

  get checkpointsDir(): string {
    return path.join(this.c.runDir, RUN_FILES.checkpoints);
  }

  async run(): Promise<TrainSummary> {
    try {
      return await this.train();
    } catch (e) {
      // Tell loaders and subscribers, so the other processes of the job end too.
      if (!this.stopped && this.runId) await this.finish(this.runId, null, 'failed', (e as Error).message).catch(() => undefined);
      throw e;
    }
  }

  private runId: string | null = null;

  private async train(): Promise<TrainSummary> {
    const c = this.c;
    const backend = await initBackend(c.backend, { log: c.log, threads: c.wasmThreads ?? 1 });
    await fs.mkdir(this.checkpointsDir, { recursive: true });
    for (const tmp of await staleTemporaries(this.checkpointsDir)) {
      // Left by a save that was interrupted (kill -9): never visible as a checkpoint; ours to remove.
      await fs.rm(tmp, { recursive: true, force: true });
      c.log(`removed the unfinished checkpoint ${path.basename(tmp)}`);
    }
    const latest = await latestCheckpoint(this.checkpointsDir, c.log);
    const resumed = latest ? await loadCheckpoint(latest.dir, { optimizer: true }) : null;
    const runId = resumed?.meta.runId ?? newRunId();
    this.runId = runId;
    const startEpoch = resumed?.meta.epoch ?? 0;
    if (resumed) c.log(`resuming run ${runId} from ${latest?.dir} (epoch ${startEpoch}/${resumed.meta.epochs} done)`);

    this.broker = new BatchBroker({
      endpoint: c.dataEndpoint, runId, maxMessageSize: batchMessageBudget(c.batchSize, c.imageSize),
      heartbeatMs: c.heartbeatMs, liveness: c.liveness, maxAhead: c.maxAhead, log: c.log,
      expect: expectations(c, resumed?.meta ?? null), ...(c.curve && { curve: c.curve }),
    });
    this.publisher = new EventPublisher(c.eventsEndpoint, c.log, c.curve);
    await this.broker.start();
    await this.publisher.start();
    c.log(`run ${runId}: waiting for loaders on ${this.broker.address}; events on ${this.publisher.address}`);
    if (c.checkpointEndpoint) {
      this.checkpointServer = new CheckpointServer({ endpoint: c.checkpointEndpoint, checkpointsDir: this.checkpointsDir, runId, log: c.log, ...(c.curve && { curve: c.curve }) });
      await this.checkpointServer.start();
      c.log(`serving checkpoints on ${this.checkpointServer.address}`);
    }

    if (startEpoch >= c.epochs) {
      c.log(`all ${c.epochs} epochs are already trained (${latest?.dir}); waiting up to 60s for a loader to tell it to stop`);
      // Loaders of this run may still be indexing: wait a while for one, so it hears DONE and exits too.
      await Promise.race([this.broker.waitForDataset().catch(() => undefined), new Promise((r) => setTimeout(r, 60_000).unref())]);
      await this.finish(runId, latest?.dir ?? null, 'completed');
      return { runId, startEpoch, epochs: c.epochs, results: [], checkpointsDir: this.checkpointsDir, lastCheckpoint: latest?.dir ?? null, waitShare: 0 };
    }

    const dataset = await this.broker.waitForDataset();
    const numClasses = dataset.classNames.length;
    const placement = dataset.augment.split(':')[0] as CheckpointMeta['augmentation']['placement'];
    const augmentation = parseAugment(dataset.augment);
    let model: tf.LayersModel;
    if (resumed) {
      model = resumed.model;
      compileForClasses(model, numClasses, c.learningRate);
      if (resumed.optimizer) {
        await (model.optimizer as tf.Optimizer).setWeights(resumed.optimizer.weights);
        c.log(`optimizer state restored (${resumed.optimizer.weights.length} tensors)`);
      }
    } else {
      model = makeModel({
        inputShape: [c.imageSize[0], c.imageSize[1], 3], numClasses,
        augmentation: placement === 'model' ? { flip: augmentation.flip as 'horizontal', rotation: augmentation.rotation ?? 0, seed: dataset.seed } : false,
      });
      if (c.bnMomentum !== undefined) model = await withBatchNormMomentum(model, c.bnMomentum);
      compileForClasses(model, numClasses, c.learningRate);
      // Keras' model.summary() and plot_model(show_shapes=True), once per run, beside the checkpoints.
      await fs.writeFile(path.join(c.runDir, RUN_FILES.modelSummary), `${modelSummary(model)}\n`);
      await plotModel(model, path.join(c.runDir, RUN_FILES.modelGraph));
      c.log(`model: ${model.countParams().toLocaleString('en-US')} parameters; summary ${path.join(c.runDir, RUN_FILES.modelSummary)}, graph ${path.join(c.runDir, RUN_FILES.modelGraph)}`);
    }
    c.log(`training on ${dataset.size} images, ${dataset.numBatches} batches/epoch, epochs ${startEpoch + 1}..${c.epochs}`);

    const auto = autoMicroBatch(model, backend, dataset.batchSize);
    const microBatch = c.microBatch === 'auto' ? auto.microBatch : c.microBatch;
    if (microBatch < dataset.batchSize) {
      c.log(`gradient accumulation: batches of ${dataset.batchSize} as micro-batches of ${microBatch} (${c.microBatch === 'auto' ? auto.why : '--micro-batch'})`);
    } else if (backend.name === 'webgpu') {
      c.log(`whole batches of ${dataset.batchSize} in one pass (${auto.why})`);
    }
    this.broker.serve(startEpoch, c.epochs);
    const progress = new KerasProgress(c.out);
    const consumedFile = path.join(c.runDir, RUN_FILES.consumed);
    // This process is one attempt at the run: consumed.jsonl ties each batch and checkpoint to it (pawpipe audit).
    const attempt = newAttemptId();
    startConsumedLog(consumedFile, { type: 'attempt', runId, attempt, resumedFrom: startEpoch, numBatches: dataset.numBatches, epochs: c.epochs, startedAt: new Date().toISOString() });
    const broker = this.broker;
    let lastCheckpoint: string | null = latest?.dir ?? null;
    const results = await fit({
      model, numClasses, startEpoch, epochs: c.epochs, numBatches: dataset.numBatches, progress, recalibrateBatchNorm: c.recalibrateBn, microBatch,
      batches: (epoch) => broker.epoch(epoch),
      // The record of consumed batches (audit: nothing lost, nothing used twice); no fsync, a kill -9 keeps what the OS has.
      onBatch: (b) => appendFileSync(consumedFile, `${JSON.stringify({ type: 'batch', runId, attempt, epoch: b.epoch, index: b.index, n: b.shape[0], from: (b as { from?: string }).from })}\n`),
      onEpochEnd: async (r) => {
        const meta: CheckpointMeta = {
          format: 'pawpipe-checkpoint', formatVersion: 1, runId, epoch: r.epoch + 1, epochs: c.epochs,
          classNames: dataset.classNames, imageSize: dataset.imageSize, seed: dataset.seed, validationSplit: dataset.validationSplit,
          batchSize: dataset.batchSize, labelMode: dataset.labelMode, backend: backend.name,
          augmentation: { placement, ...augmentation }, metrics: { loss: r.loss, accuracy: r.accuracy },
          optimizer: { className: 'Adam', learningRate: c.learningRate }, batchNormMomentum: resumed?.meta.batchNormMomentum ?? c.bnMomentum ?? 0.99, batchNormRecalibration: c.recalibrateBn, savedAt: new Date().toISOString(), attempt,
        };
        const dir = await saveCheckpoint(this.checkpointsDir, model, meta, { writeDelayMs: c.checkpointWriteDelayMs });
        await appendLineSynced(consumedFile, JSON.stringify({ type: 'checkpoint', runId, attempt, epoch: r.epoch + 1, dir: checkpointName(r.epoch + 1) }));
        lastCheckpoint = dir;
        await appendLineSynced(path.join(c.runDir, RUN_FILES.history), JSON.stringify({
          epoch: r.epoch + 1, loss: r.loss, accuracy: r.accuracy, seconds: r.seconds, steps: r.steps, images: r.images,
          wait_seconds: r.waitSeconds, recalibration_seconds: r.recalibrationSeconds, checkpoint: checkpointName(r.epoch + 1), runId,
        }));
        await this.publisher?.publish({ type: 'checkpoint', runId, epoch: r.epoch + 1, epochs: c.epochs, dir, metrics: { loss: r.loss, accuracy: r.accuracy } });
        c.log(`saved ${dir} (waited ${r.waitSeconds.toFixed(2)}s of ${r.seconds.toFixed(1)}s for data)`);
      },
    }).catch((e: unknown) => {
      throw explainWasmMemory(e, backend.name, dataset.batchSize, c.imageSize);
    });
    const later = results.slice(1);
    const waitShare = later.reduce((s, r) => s + r.waitSeconds, 0) / Math.max(1e-9, later.reduce((s, r) => s + r.seconds, 0));
    await this.finish(runId, lastCheckpoint, 'completed');
    model.dispose();
    return { runId, startEpoch, epochs: c.epochs, results, checkpointsDir: this.checkpointsDir, lastCheckpoint, waitShare };
  }

  /** Tell loaders and subscribers that the run is over, then keep answering late loaders a moment. */
  private async finish(runId: string, lastCheckpoint: string | null, status: 'completed' | 'failed', why?: string): Promise<void> {
    await this.broker?.finish(status === 'completed' ? `all ${this.c.epochs} epochs trained` : `training failed: ${why ?? 'error'}`, status);
    await this.publisher?.publish({ type: 'done', runId, epochs: this.c.epochs, status, lastCheckpoint });
    await new Promise((r) => setTimeout(r, this.c.doneGraceMs));
    // An evaluator on another machine may still be fetching the last checkpoints: let it finish.
    const server = this.checkpointServer;
    if (server && server.lastTransferAt > 0) {
      const t0 = Date.now();
      if (await server.whenIdle(2000, this.c.serveGraceMs ?? 600_000)) this.c.log(`served checkpoints ${((Date.now() - t0) / 1000).toFixed(1)}s longer, until no evaluator was fetching`);
    }
  }

  /** Closes every socket; a second call (a signal, then main's finally) waits for the first. */
  stop(): Promise<void> {
    this.stopped = true;
    this.stopping ??= this.closeAll();
    return this.stopping;
  }

  private async closeAll(): Promise<void> {
    // Until the broker thread has closed its socket and exited, the process must not exit: a
    // zeromq socket still open when a worker thread is torn down aborts the process.
    await this.broker?.stop();
    await this.publisher?.stop();
    await this.checkpointServer?.stop();
    await releaseWebGpu();
  }
}

/**
 * The wasm backend's heap is bounded: a batch too large for it aborts inside wasm ("Aborted()",
 * "memory access out of bounds"). Say what happened and what to do instead of a wasm stack.
 */
function explainWasmMemory(e: unknown, backend: string, batchSize: number, imageSize: [number, number]): unknown {
  const msg = (e as Error)?.message ?? '';
  if (backend === 'wasm' && /Aborted\(\)|memory access out of bounds|Out of memory|Cannot enlarge memory/i.test(msg)) {
    return new TrainerError('out-of-memory', `the wasm backend ran out of memory training batches of ${batchSize} at ${imageSize.join('x')} (${msg.split('.')[0]}); use a smaller --micro-batch (8 fits at 180x180), smaller images, or a machine with tfjs-node`, undefined, { cause: e });
  }
  return e;
}

function newAttemptId(): string {
  return `${Date.now().toString(36)}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Open this attempt's record on a line of its own: a kill -9 may have left a torn last line. */
function startConsumedLog(file: string, line: ConsumedLine): void {
  let torn = false;
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const last = Buffer.alloc(1);
      torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  appendFileSync(file, `${torn ? '\n' : ''}${JSON.stringify(line)}\n`);
}

function newRunId(): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `run-${t}-${randomBytes(2).toString('hex')}`;
}

function parseAugment(tag: string): { flip?: string; rotation?: number } {
  const [, params] = tag.split(':');
  const out: { flip?: string; rotation?: number } = {};
  for (const kv of (params ?? '').split(',')) {
    const [k, v] = kv.split('=');
    if (k === 'flip' && v) out.flip = v;
    if (k === 'rotation' && v) out.rotation = Number(v);
  }
  return out;
}

/** A loader must serve what this trainer was configured for, and what its checkpoint was trained on. */
/** What a loader's dataset must hold: this trainer's flags, and the checkpoint it resumes. */
function expectations(c: TrainerConfig, meta: CheckpointMeta | null): DatasetExpectation[] {
  return [
    { field: 'imageSize', value: c.imageSize, from: "the trainer's --image-size" },
    { field: 'batchSize', value: c.batchSize, from: "the trainer's --batch-size" },
    ...(meta ? [
      { field: 'classNames', value: meta.classNames, from: "the checkpoint's" },
      { field: 'seed', value: meta.seed, from: "the checkpoint's" },
      { field: 'validationSplit', value: meta.validationSplit, from: "the checkpoint's" },
    ] satisfies DatasetExpectation[] : []),
  ];
}

export { DEFAULT_LEARNING_RATE };
