import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '@pawpipe/tf-backend';
import '@pawpipe/model'; // registers RandomFlip/RandomRotation, needed to load Option-1 checkpoints
import { indexDirectory, openDataset } from '@pawpipe/data-pipeline';
import type { ImageDataset } from '@pawpipe/data-pipeline';
import { EventSubscriber } from '@pawpipe/protocol';
import type { CurveClient } from '@pawpipe/protocol';
import {
  appendLineSynced, confusionSvg, confusionText, curvesSvg, evaluate, fsyncDir, listCheckpoints, loadCheckpoint,
  readJsonl, svgToPng, writeFileSynced,
} from '@pawpipe/trainer';
import type { CheckpointEntry, CheckpointMeta, CurvePoint } from '@pawpipe/trainer';

export interface EvaluatorConfig {
  runDir: string;
  dataDir: string;
  /** the trainer's PUB endpoint */
  events: string;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /** XNNPACK threads when the backend is wasm (1: the single-threaded SIMD build, the default) */
  wasmThreads?: number;
  batchSize: number;
  /** keep waiting for new checkpoints until the run ends (false: score what is there and exit) */
  follow: boolean;
  /** folder scan interval: catches checkpoints whose event was missed */
  pollMs: number;
  /** CURVE: the trainer's public key and this evaluator's key pair (undefined: plain TCP) */
  curve?: CurveClient;
  log: (line: string) => void;
}

/** One line of eval.jsonl: the evaluator's record of what it scored (never scored twice). */
export interface EvalRecord {
  runId: string;
  epoch: number;
  /** epochs of the run (from the checkpoint) */
  epochs: number;
  checkpoint: string;
  loss: number;
  accuracy: number;
  val_loss: number;
  val_accuracy: number;
  images: number;
  confusion: number[][];
  classNames: string[];
  seconds: number;
}

export const EVAL_FILES = {
  record: 'eval.jsonl',
  best: 'best',
  bestJson: 'best.json',
  curves: 'curves.png',
  confusionPng: 'confusion-matrix.png',
  confusionTxt: 'confusion-matrix.txt',
  report: 'report.md',
} as const;

/**
 * The evaluator: follows the trainer's checkpoint events (SUB) and also scans the checkpoint
 * folder (late-joiner catch-up: PUB drops events sent before we connected, and a restarted
 * evaluator must find what it missed). Scores each checkpoint once on the validation subset (same
 * split as training, no augmentation), keeps `best` (lowest val_loss), writes the curves, the
 * confusion matrix of the best epoch, and a report.
 */
export class EvaluatorApp {
  private readonly sub: EventSubscriber;
  private stopped = false;
  private wake: (() => void) | null = null;
  private doneEpoch: number | null = null;
  /** the trainer reported a failed run */
  trainerFailed = false;
  private dataset: ImageDataset | null = null;
  readonly records: EvalRecord[] = [];

  constructor(private readonly c: EvaluatorConfig) {
    this.sub = new EventSubscriber(c.events, c.log, c.curve);
  }

  get checkpointsDir(): string {
    return path.join(this.c.runDir, 'checkpoints');
  }

  async run(): Promise<EvalRecord[]> {
    const c = this.c;
    await initBackend(c.backend, { log: c.log, threads: c.wasmThreads ?? 1 });
    await fs.mkdir(c.runDir, { recursive: true });
    this.records.push(...(await readJsonl<EvalRecord>(path.join(c.runDir, EVAL_FILES.record))));
    if (this.records.length) c.log(`already scored: epochs ${this.records.map((r) => r.epoch).join(', ')}`);
    if (c.follow) {
      this.sub.start();
      void this.listen();
    }
    c.log(`watching ${this.checkpointsDir}${c.follow ? ` and events on ${c.events}` : ''}`);
    while (!this.stopped) {
      const pending = await this.pending();
      for (const entry of pending) {
        if (this.stopped) break;
        await this.score(entry);
      }
      if (this.stopped || this.finished() || (!c.follow && (await this.pending()).length === 0)) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, c.pollMs);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
      this.wake = null;
    }
    return this.records;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sub.stop();
    this.wake?.();
  }

  private async listen(): Promise<void> {
    try {
      for await (const ev of this.sub.events()) {
        if (ev.type === 'done') {
          this.doneEpoch = ev.lastCheckpoint ? epochOf(ev.lastCheckpoint) : 0;
          if (ev.status === 'failed') {
            this.trainerFailed = true;
            // Score what was saved, then stop: no more checkpoints will come.
            this.doneEpoch = Math.max(0, ...(await listCheckpoints(this.checkpointsDir)).map((e) => e.epoch));
          }
          this.c.log(`trainer: run ${ev.runId} ${ev.status}`);
        }
        this.wake?.();
      }
    } catch (e) {
      if (!this.stopped) this.c.log(`event stream ended: ${(e as Error).message}`);
    }
  }

  private async pending(): Promise<CheckpointEntry[]> {
    const scored = new Set(this.records.map((r) => r.epoch));
    return (await listCheckpoints(this.checkpointsDir)).filter((e) => !scored.has(e.epoch));
  }

  /** The run is over when its final epoch is scored, or the trainer said DONE and all it saved is scored. */
  private finished(): boolean {
    const last = this.records.reduce((m, r) => Math.max(m, r.epoch), 0);
    if (this.records.some((r) => r.epoch >= r.epochs)) return true;
    return this.doneEpoch !== null && last >= this.doneEpoch;
  }

  private async validation(meta: CheckpointMeta): Promise<ImageDataset> {
    const same = (d: ImageDataset) => d.imageSize[0] === meta.imageSize[0] && d.imageSize[1] === meta.imageSize[1];
    if (this.dataset && same(this.dataset)) return this.dataset;
    const c = this.c;
    // The same split as training: seed, validation split and class order from the checkpoint.
    const index = await indexDirectory(c.dataDir, { seed: meta.seed, validationSplit: meta.validationSplit, subset: 'validation', classNames: meta.classNames, log: c.log });
    this.dataset = await openDataset({
      dataDir: c.dataDir, subset: 'validation', imageSize: meta.imageSize, batchSize: c.batchSize, seed: meta.seed,
      validationSplit: meta.validationSplit, labelMode: meta.labelMode as 'binary', classNames: meta.classNames, augment: false, index, log: c.log,
    });
    c.log(`validation: ${this.dataset.size} images of [${this.dataset.classNames.join(', ')}] at ${meta.imageSize.join('x')}`);
    return this.dataset;
  }

  private async score(entry: CheckpointEntry): Promise<void> {
    const c = this.c;
    const t0 = performance.now();
    const ck = await loadCheckpoint(entry.dir);
    const ds = await this.validation(ck.meta);
    const r = await evaluate(ck.model, ds.batches(0, { prefetch: 2 }), ck.meta.classNames.length);
    ck.model.dispose();
    const record: EvalRecord = {
      runId: ck.meta.runId, epoch: ck.meta.epoch, epochs: ck.meta.epochs, checkpoint: entry.dir, loss: ck.meta.metrics.loss, accuracy: ck.meta.metrics.accuracy,
      val_loss: r.loss, val_accuracy: r.accuracy, images: r.images, confusion: r.confusion, classNames: ck.meta.classNames,
      seconds: (performance.now() - t0) / 1000,
    };
    const prevBest = this.best();
    await appendLineSynced(path.join(c.runDir, EVAL_FILES.record), JSON.stringify(record));
    this.records.push(record);
    const isBest = !prevBest || record.val_loss < prevBest.val_loss;
    if (isBest) await this.keepBest(record);
    c.log(`epoch ${record.epoch}/${ck.meta.epochs}: val_loss ${record.val_loss.toFixed(4)} - val_accuracy ${record.val_accuracy.toFixed(4)}${isBest ? ' (best so far)' : ''}`);
    await this.writeFigures(ck.meta);
  }

  private best(): EvalRecord | null {
    let best: EvalRecord | null = null;
    for (const r of this.records) if (!best || r.val_loss < best.val_loss) best = r;
    return best;
  }

  /** Copy the checkpoint to `best` atomically: copy to a temporary name, fsync, swap by renames. */
  private async keepBest(record: EvalRecord): Promise<void> {
    const runDir = this.c.runDir;
    const target = path.join(runDir, EVAL_FILES.best);
    const tmp = path.join(runDir, `.best.tmp-${process.pid}`);
    const old = path.join(runDir, `.best.old-${process.pid}`);
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.cp(record.checkpoint, tmp, { recursive: true });
    await fsyncDir(tmp);
    const hadBest = await fs.stat(target).then(() => true, () => false);
    if (hadBest) await fs.rename(target, old);
    await fs.rename(tmp, target);
    if (hadBest) await fs.rm(old, { recursive: true, force: true });
    await writeFileSynced(path.join(runDir, EVAL_FILES.bestJson), `${JSON.stringify({ epoch: record.epoch, val_loss: record.val_loss, val_accuracy: record.val_accuracy, from: record.checkpoint }, null, 2)}\n`);
    await fsyncDir(runDir);
  }

  private async writeFigures(meta: CheckpointMeta): Promise<void> {
    const runDir = this.c.runDir;
    const points: CurvePoint[] = this.records.map((r) => ({ epoch: r.epoch, loss: r.loss, accuracy: r.accuracy, val_loss: r.val_loss, val_accuracy: r.val_accuracy }));
    await svgToPng(curvesSvg(points, `Training curves (${meta.runId})`), path.join(runDir, EVAL_FILES.curves));
    const best = this.best();
    if (!best) return;
    const title = `Confusion matrix, best epoch ${best.epoch} (val_accuracy ${best.val_accuracy.toFixed(4)})`;
    await svgToPng(confusionSvg(best.confusion, best.classNames, title), path.join(runDir, EVAL_FILES.confusionPng));
    await writeFileSynced(path.join(runDir, EVAL_FILES.confusionTxt), `${title}\n${confusionText(best.confusion, best.classNames)}`);
    await writeFileSynced(path.join(runDir, EVAL_FILES.report), this.report(meta, best));
  }

  private report(meta: CheckpointMeta, best: EvalRecord): string {
    const rows = [...this.records].sort((a, b) => a.epoch - b.epoch)
      .map((r) => `| ${r.epoch} | ${r.loss.toFixed(4)} | ${r.accuracy.toFixed(4)} | ${r.val_loss.toFixed(4)} | ${r.val_accuracy.toFixed(4)} |${r.epoch === best.epoch ? ' best |' : ' |'}`);
    return [
      `# pawpipe run ${meta.runId}`, '',
      `Classes: ${meta.classNames.join(', ')}; images ${meta.imageSize.join('x')}; batch ${meta.batchSize}; seed ${meta.seed}; validation split ${meta.validationSplit}; backend ${meta.backend}; augmentation ${meta.augmentation.placement}.`, '',
      `Best: epoch ${best.epoch}, val_loss ${best.val_loss.toFixed(4)}, val_accuracy ${best.val_accuracy.toFixed(4)} (${best.images} validation images) -> \`${path.join(this.c.runDir, EVAL_FILES.best)}\``, '',
      '| epoch | loss | accuracy | val_loss | val_accuracy | |', '|---|---|---|---|---|---|', ...rows, '',
      `Curves: \`${EVAL_FILES.curves}\`; confusion matrix of the best epoch: \`${EVAL_FILES.confusionPng}\`, \`${EVAL_FILES.confusionTxt}\`.`, '',
      '```', confusionText(best.confusion, best.classNames).trimEnd(), '```', '',
    ].join('\n');
  }
}

function epochOf(dir: string): number {
  const m = /save_at_(\d+)$/.exec(dir);
  return m ? Number(m[1]) : 0;
}
