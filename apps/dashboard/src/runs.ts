import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { RUN_FILES, WATCHED } from './run-files';
import { isInside } from './safe-path';

export type RunStatus = 'running' | 'completed' | 'failed';

export interface HistoryLine { epoch: number; loss: number; accuracy: number; seconds?: number; runId?: string }
export interface EvalLine {
  epoch: number; epochs: number; loss: number; accuracy: number; val_loss: number; val_accuracy: number;
  images: number; confusion: number[][]; classNames: string[];
}

export interface RunSummary {
  name: string;
  status: RunStatus;
  /** why this status, in words */
  why: string;
  runId: string | null;
  epochsTrained: number;
  epochsScored: number;
  /** planned epochs (from a checkpoint or eval record), null before the first one */
  epochs: number | null;
  bestEpoch: number | null;
  updatedAt: string | null;
}

export interface RunDetail extends RunSummary {
  history: HistoryLine[];
  evals: EvalLine[];
  summary: string | null;
  dataReport: unknown;
  mistakes: unknown;
  /** URL path of the model.json the page loads for "try it" (best/, else the newest checkpoint), and its meta */
  model: { url: string; classNames: string[]; imageSize: [number, number]; epoch: number } | null;
  hasGraph: boolean;
}

export interface StatusOptions {
  /** a run not finished and untouched for this long is reported as failed (it ended before its last epoch) */
  staleMs: number;
  now?: number;
}

/** Run folders of `root`: its subfolders holding a trainer's or an evaluator's files (symlinks out of root are skipped). */
export async function listRunDirs(root: string): Promise<string[]> {
  const names: string[] = [];
  for (const d of await fs.readdir(root, { withFileTypes: true }).catch(() => [])) {
    if (d.name.startsWith('.')) continue;
    const dir = path.join(root, d.name);
    const real = await fs.realpath(dir).catch(() => null);
    if (!real || !isInside(root, real) || !(await fs.stat(real)).isDirectory()) continue;
    const has = await Promise.all([RUN_FILES.history, RUN_FILES.evals, RUN_FILES.checkpoints, RUN_FILES.consumed, RUN_FILES.summary]
      .map((f) => fs.stat(path.join(real, f)).then(() => true, () => false)));
    if (has.some(Boolean)) names.push(d.name);
  }
  return names.sort();
}

async function readJsonl<T>(file: string): Promise<T[]> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const out: T[] = [];
  // A line being appended may be cut short: skip what does not parse (it is read again next time).
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch { /* partial last line */ }
  }
  return out;
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch {
    return null;
  }
}

/** Newest modification time among the files the trainer and evaluator keep touching. */
async function lastTouched(dir: string): Promise<number | null> {
  let newest: number | null = null;
  for (const f of [...WATCHED, RUN_FILES.consumed, RUN_FILES.checkpoints]) {
    const st = await fs.stat(path.join(dir, f)).catch(() => null);
    if (st && (newest === null || st.mtimeMs > newest)) newest = st.mtimeMs;
  }
  return newest;
}

interface CheckpointMeta { runId: string; epoch: number; epochs: number; classNames: string[]; imageSize: [number, number] }

async function newestCheckpoint(dir: string): Promise<{ name: string; meta: CheckpointMeta } | null> {
  const names = (await fs.readdir(path.join(dir, RUN_FILES.checkpoints)).catch(() => [] as string[]))
    .map((n) => ({ n, m: /^save_at_(\d+)$/.exec(n) })).filter((e) => e.m).sort((a, b) => Number(b.m?.[1]) - Number(a.m?.[1]));
  for (const { n } of names) {
    const meta = (await readJson(path.join(dir, RUN_FILES.checkpoints, n, 'meta.json'))) as CheckpointMeta | null;
    if (meta) return { name: `${RUN_FILES.checkpoints}/${n}`, meta };
  }
  return null;
}

/**
 * A run's status from its files alone (the trainer and evaluator write no status file):
 * completed once the last epoch is scored (or trained, where no evaluator ran, and the folder has
 * gone quiet); running while the files keep changing; failed when it went quiet before its last
 * epoch (a crash, a kill: the next `train` resumes it).
 */
export function runStatus(history: HistoryLine[], evals: EvalLine[], epochs: number | null, touched: number | null, o: StatusOptions): { status: RunStatus; why: string } {
  const now = o.now ?? Date.now();
  const trained = Math.max(0, ...history.map((h) => h.epoch));
  const scored = Math.max(0, ...evals.map((e) => e.epoch));
  const quiet = touched === null || now - touched > o.staleMs;
  if (epochs !== null && scored >= epochs) return { status: 'completed', why: `all ${epochs} epochs trained and scored` };
  if (epochs !== null && trained >= epochs && evals.length === 0 && quiet) return { status: 'completed', why: `all ${epochs} epochs trained (no evaluator ran)` };
  if (!quiet) return { status: 'running', why: `epoch ${trained}${epochs ? `/${epochs}` : ''} trained, ${scored} scored` };
  return { status: 'failed', why: `stopped after epoch ${trained}${epochs ? ` of ${epochs}` : ''}: no change for ${Math.round(o.staleMs / 1000)} s (train again to resume)` };
}

/** One run; `full: false` leaves out the larger documents (summary, reports), which the run list does not show. */
export async function readRun(root: string, name: string, o: StatusOptions, full = true): Promise<RunDetail> {
  const dir = path.join(root, name);
  const [history, evals, touched, ckpt, bestMeta, summary, dataReport, mistakes, hasGraph] = await Promise.all([
    readJsonl<HistoryLine>(path.join(dir, RUN_FILES.history)),
    readJsonl<EvalLine>(path.join(dir, RUN_FILES.evals)),
    lastTouched(dir),
    newestCheckpoint(dir),
    readJson(path.join(dir, RUN_FILES.best, 'meta.json')) as Promise<CheckpointMeta | null>,
    full ? fs.readFile(path.join(dir, RUN_FILES.summary), 'utf8').catch(() => null) : null,
    full ? readJson(path.join(dir, RUN_FILES.dataReport)) : null,
    full ? readJson(path.join(dir, RUN_FILES.mistakes)) : null,
    fs.stat(path.join(dir, RUN_FILES.modelGraph)).then(() => true, () => false),
  ]);
  const epochs = evals[evals.length - 1]?.epochs ?? ckpt?.meta.epochs ?? bestMeta?.epochs ?? null;
  const { status, why } = runStatus(history, evals, epochs, touched, o);
  let best: EvalLine | null = null;
  for (const e of evals) if (!best || e.val_loss < best.val_loss) best = e;
  const modelSrc = bestMeta ? { name: RUN_FILES.best, meta: bestMeta } : ckpt;
  const base = `/runs/${encodeURIComponent(name)}`;
  return {
    name, status, why,
    runId: history[0]?.runId ?? ckpt?.meta.runId ?? null,
    epochsTrained: Math.max(0, ...history.map((h) => h.epoch)),
    epochsScored: evals.length,
    epochs,
    bestEpoch: best?.epoch ?? null,
    updatedAt: touched === null ? null : new Date(touched).toISOString(),
    history, evals, summary, dataReport, mistakes, hasGraph,
    model: modelSrc ? { url: `${base}/${modelSrc.name}/model.json`, classNames: modelSrc.meta.classNames, imageSize: modelSrc.meta.imageSize, epoch: modelSrc.meta.epoch } : null,
  };
}

export function summaryOf(d: RunDetail): RunSummary {
  const { name, status, why, runId, epochsTrained, epochsScored, epochs, bestEpoch, updatedAt } = d;
  return { name, status, why, runId, epochsTrained, epochsScored, epochs, bestEpoch, updatedAt };
}

export async function listRuns(root: string, o: StatusOptions): Promise<RunSummary[]> {
  return Promise.all((await listRunDirs(root)).map(async (n) => summaryOf(await readRun(root, n, o, false))));
}

/** A cheap fingerprint of what the page shows: sizes and times of the watched files, per run. */
export async function fingerprint(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of await listRunDirs(root)) {
    const parts: string[] = [];
    for (const f of WATCHED) {
      const st = await fs.stat(path.join(root, name, f)).catch(() => null);
      parts.push(st ? `${st.size}:${st.mtimeMs}` : '-');
    }
    out.set(name, parts.join('|'));
  }
  return out;
}
