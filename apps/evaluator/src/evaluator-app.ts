import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '@pawpipe/tf-backend';
import type { BackendChoice } from '@pawpipe/tf-backend';
import '@pawpipe/model'; // registers RandomFlip/RandomRotation, needed to load Option-1 checkpoints
import { describeDecode, indexDirectory, openDataset } from '@pawpipe/data-pipeline';
import type { DecodeMode } from '@pawpipe/data-pipeline';
import type { ImageDataset } from '@pawpipe/data-pipeline';
import { CheckpointClient, EventSubscriber } from '@pawpipe/protocol';
import type { CurveClient } from '@pawpipe/protocol';
import {
  appendLineSynced, confusionSvg, confusionText, curvesSvg, evaluate, fsyncDir, listCheckpoints, loadCheckpoint,
  readJsonl, readMeta, svgToPng, writeFileSynced,
} from '@pawpipe/trainer';
import type { CheckpointEntry, CheckpointMeta, CurvePoint } from '@pawpipe/trainer';
import { probabilitiesOf, writeDataReport, writeMistakes } from './page-reports';
import type { ScoredImage } from './page-reports';

export interface EvaluatorConfig {
  runDir: string;
  dataDir: string;
  /** the trainer's PUB endpoint */
  events: string;
  backend: BackendChoice;
  /** XNNPACK threads when the backend is wasm (1: the single-threaded SIMD build, the default) */
  wasmThreads?: number;
  batchSize: number;
  /** keep waiting for new checkpoints until the run ends (false: score what is there and exit) */
  follow: boolean;
  /** folder scan interval: catches checkpoints whose event was missed */
  pollMs: number;
  /**
   * the trainer's checkpoint endpoint: checkpoints of the followed run missing from `runDir`
   * are fetched from it (an evaluator on another machine); undefined: only the folder is read
   */
  checkpoints?: string;
  /** how long one checkpoint request waits for its answer before asking again (default 5000 ms) */
  fetchTimeoutMs?: number;
  /** CURVE: the trainer's public key and this evaluator's key pair (undefined: plain TCP) */
  curve?: CurveClient;
  log: (line: string) => void;
  /** validation categories left out of the data (default: data-pipeline's); the loaders must use the same */
  exclude?: string[];
  /** JPEG decoding: exact (Keras' pixels, the default) or fast (reduced DCT scale, see data-pipeline) */
  decode?: DecodeMode;
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
  /** the run whose checkpoints are fetched: from the run folder, else the trainer's (its listing or first event) */
  private followedRun: string | null = null;
  private client: CheckpointClient | null = null;
  private fetchWake: (() => void) | null = null;
  private fetchKicked = false;
  private lastFetchTrouble = '';
  /** one line saying which checkpoint could not be fetched once the trainer had finished (null: none) */
  fetchFailed: string | null = null;

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
    await this.repairBest();
    this.followedRun = this.records[0]?.runId ?? (await this.localRun());
    if (c.follow) {
      this.sub.start();
      void this.listen();
      if (c.checkpoints) {
        this.client = new CheckpointClient({ endpoint: c.checkpoints, timeoutMs: c.fetchTimeoutMs, log: c.log, ...(c.curve && { curve: c.curve }) });
        void this.fetchLoop();
      }
    }
    c.log(`watching ${this.checkpointsDir}${c.follow ? ` and events on ${c.events}` : ''}`);
    while (!this.stopped) {
      const pending = await this.pending();
      for (const entry of pending) {
        if (this.stopped) break;
        await this.score(entry);
      }
      if (this.stopped || this.finished() || (!c.follow && (await this.pending()).length === 0)) break;
      // The trainer has finished and a checkpoint it saved cannot be fetched: score what is here, then end.
      if (this.fetchFailed && (await this.pending()).length === 0) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, c.pollMs);
        this.wake = () => { clearTimeout(t); resolve(); };
      });
      this.wake = null;
    }
    if (this.finished()) this.fetchFailed = null;
    return this.records;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sub.stop();
    this.client?.close();
    this.wake?.();
    this.fetchWake?.();
  }

  /**
   * eval.jsonl is appended before best/ is copied: an evaluator killed in between left a best
   * record without its copy. Copy it now from the checkpoint it was scored on.
   */
  private async repairBest(): Promise<void> {
    const best = this.best();
    if (!best) return;
    const runDir = this.c.runDir;
    const said = await fs.readFile(path.join(runDir, EVAL_FILES.bestJson), 'utf8').then((t) => (JSON.parse(t) as { epoch?: number }).epoch, () => undefined);
    const copied = await fs.stat(path.join(runDir, EVAL_FILES.best, 'meta.json')).then(() => true, () => false);
    if (said === best.epoch && copied) return;
    if (!(await fs.stat(best.checkpoint).then(() => true, () => false))) return;
    await this.keepBest(best);
    this.c.log(`best/ was not the best scored epoch ${best.epoch} (interrupted copy): copied again from ${best.checkpoint}`);
  }

  /** The run of the newest checkpoint already in the run folder, if any. */
  private async localRun(): Promise<string | null> {
    const last = (await listCheckpoints(this.checkpointsDir)).pop();
    return last ? (await readMeta(last.dir)).runId : null;
  }

  private kickFetch(): void {
    this.fetchKicked = true;
    this.fetchWake?.();
  }

  /** Fetch what the trainer has and this run folder lacks, on every event and every poll. */
  private async fetchLoop(): Promise<void> {
    while (!this.stopped) {
      this.fetchKicked = false;
      await this.fetchMissing();
      if (this.stopped) break;
      if (this.fetchKicked) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, this.c.pollMs);
        this.fetchWake = () => { clearTimeout(t); resolve(); };
      });
      this.fetchWake = null;
    }
  }

  private async fetchMissing(): Promise<void> {
    const client = this.client;
    if (!client) return;
    let listing;
    try {
      listing = await client.list();
    } catch (e) {
      this.fetchTrouble(`cannot list the trainer's checkpoints at ${client.endpoint}: ${(e as Error).message}`);
      return;
    }
    if (!this.followedRun) {
      // A run folder of no run yet (an evaluator started late on another machine): catch up at once.
      this.followedRun = listing.runId;
      this.c.log(`following run ${listing.runId} of ${client.endpoint} (checkpoints ${listing.epochs.join(', ') || 'none yet'})`);
    }
    const run = this.followedRun;
    if (listing.runId !== run) {
      this.fetchTrouble(`the trainer at ${client.endpoint} serves run ${listing.runId}, this evaluator follows run ${run}: nothing is fetched from it`);
      return;
    }
    const here = new Set((await listCheckpoints(this.checkpointsDir)).map((e) => e.epoch));
    const scored = new Set(this.records.map((r) => r.epoch));
    for (const epoch of listing.epochs) {
      if (this.stopped) return;
      if (here.has(epoch) || scored.has(epoch)) continue; // a trainer on the same disk: nothing to move
      try {
        const t0 = performance.now();
        const r = await client.fetch(run, epoch, this.checkpointsDir);
        if (r.fetched) {
          this.c.log(`fetched save_at_${epoch} from ${client.endpoint}: ${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)}s${r.retries ? ` (${r.retries} retried)` : ''}`);
        }
        this.lastFetchTrouble = '';
        this.wake?.();
      } catch (e) {
        if (this.stopped) return;
        this.fetchTrouble(`cannot fetch save_at_${epoch} from ${client.endpoint}: ${(e as Error).message}`);
        return;
      }
    }
  }

  /** Say it once; once the trainer has finished nobody will serve it later, so it is final. */
  private fetchTrouble(line: string): void {
    if (this.stopped) return;
    if (line !== this.lastFetchTrouble) this.c.log(line);
    this.lastFetchTrouble = line;
    if (this.doneEpoch !== null) {
      this.fetchFailed = line;
      this.wake?.();
    }
  }

  private async listen(): Promise<void> {
    try {
      for await (const ev of this.sub.events()) {
        this.followedRun ??= ev.runId;
        if (ev.type === 'done') {
          this.doneEpoch = ev.lastCheckpoint ? epochOf(ev.lastCheckpoint) : 0;
          if (ev.status === 'failed') {
            this.trainerFailed = true;
            // Score what was saved, then stop: no more checkpoints will come.
            this.doneEpoch = Math.max(0, ...(await listCheckpoints(this.checkpointsDir)).map((e) => e.epoch));
          }
          this.c.log(`trainer: run ${ev.runId} ${ev.status}`);
        }
        this.kickFetch();
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
    const index = await indexDirectory(c.dataDir, {
      seed: meta.seed, validationSplit: meta.validationSplit, subset: 'validation', classNames: meta.classNames, log: c.log,
      ...(c.exclude !== undefined && { exclude: c.exclude }),
    });
    this.dataset = await openDataset({
      dataDir: c.dataDir, subset: 'validation', imageSize: meta.imageSize, batchSize: c.batchSize, seed: meta.seed,
      validationSplit: meta.validationSplit, labelMode: meta.labelMode as 'binary', classNames: meta.classNames, augment: false, index, log: c.log,
      ...(c.decode !== undefined && { decode: c.decode }),
    });
    c.log(`validation: ${this.dataset.size} images of [${this.dataset.classNames.join(', ')}] at ${meta.imageSize.join('x')} (decode: ${describeDecode(c.decode)})`);
    await writeDataReport(c.runDir, index);
    return this.dataset;
  }

  private async score(entry: CheckpointEntry): Promise<void> {
    const c = this.c;
    const t0 = performance.now();
    const ck = await loadCheckpoint(entry.dir);
    const ds = await this.validation(ck.meta);
    const numClasses = ck.meta.classNames.length;
    const scored: ScoredImage[] = [];
    const r = await evaluate(ck.model, ds.batches(0, { prefetch: 2 }), numClasses, (b, outputs) => {
      const entries = ds.batchEntries(0, b.index);
      probabilitiesOf(outputs, b.shape[0], numClasses).forEach((probabilities, i) => scored.push({ entry: entries[i] as ScoredImage['entry'], probabilities }));
    });
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
    if (isBest) {
      await this.keepBest(record);
      await writeMistakes(c.runDir, c.dataDir, record.epoch, ck.meta.classNames, scored);
    }
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
