import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { listCheckpoints, readMeta } from './checkpoint';

/**
 * consumed.jsonl, one JSON object a line, three kinds (lines without `type` are batches of
 * runs written before attempts were recorded):
 * - `{"type":"attempt","runId","attempt","resumedFrom","numBatches","epochs","startedAt"}`: a trainer
 *   process started; `resumedFrom` is the checkpoint epoch it loaded (0: fresh weights);
 * - `{"type":"batch","runId","attempt","epoch","index","n","from"}`: it trained on that batch
 *   (`epoch` 0-based);
 * - `{"type":"checkpoint","runId","attempt","epoch","dir"}`: it saved save_at_{epoch} (1-based).
 */
export type ConsumedLine =
  | { type: 'attempt'; runId: string; attempt: string; resumedFrom: number; numBatches: number; epochs: number; startedAt: string }
  | { type: 'batch'; runId: string; attempt: string; epoch: number; index: number; n: number; from?: string }
  | { type: 'checkpoint'; runId: string; attempt: string; epoch: number; dir: string };

export const CONSUMED_JSONL = 'consumed.jsonl';

export interface AuditedEpoch {
  /** 1-based, as save_at_{epoch} */
  epoch: number;
  attempt: string | null;
  batches: number;
  ok: boolean;
}

export interface AuditReport {
  runDir: string;
  /** true when every epoch of the newest checkpoint's weights consumed each index exactly once */
  ok: boolean;
  /** the newest checkpoint's epoch (0: none) */
  lastCheckpoint: number;
  epochs: AuditedEpoch[];
  /** what is wrong, one line each, naming the epoch, attempt and batch */
  problems: string[];
  /** what is fine but worth knowing: attempts whose batches no checkpoint kept */
  notes: string[];
}

/**
 * Prove exactly-once for the saved weights: the newest checkpoint descends from a chain of
 * attempts (each resumed from the checkpoint before its first epoch); each epoch of that chain
 * must have been trained by the attempt that saved it, on each batch index exactly once.
 * Batches of attempts that were killed before saving are not part of the weights: listed as notes.
 */
export async function auditRun(runDir: string): Promise<AuditReport> {
  const report: AuditReport = { runDir, ok: false, lastCheckpoint: 0, epochs: [], problems: [], notes: [] };
  const lines = await readConsumed(path.join(runDir, CONSUMED_JSONL), report);
  const attempts = new Map<string, Extract<ConsumedLine, { type: 'attempt' }>>();
  // attempt -> epoch (0-based) -> index -> times consumed
  const seen = new Map<string, Map<number, Map<number, number>>>();
  let untagged = 0;
  for (const l of lines) {
    if (l.type === 'attempt') attempts.set(l.attempt, l);
    else if (l.type === 'batch') {
      if (!l.attempt) { untagged++; continue; }
      const byEpoch = seen.get(l.attempt) ?? new Map<number, Map<number, number>>();
      seen.set(l.attempt, byEpoch);
      const byIndex = byEpoch.get(l.epoch) ?? new Map<number, number>();
      byEpoch.set(l.epoch, byIndex);
      byIndex.set(l.index, (byIndex.get(l.index) ?? 0) + 1);
    }
  }
  if (untagged > 0) report.problems.push(`${untagged} batch line(s) carry no attempt id (written before attempts were recorded): they cannot be audited`);

  const checkpoints = await listCheckpoints(path.join(runDir, 'checkpoints'));
  const byEpoch = new Map<number, string | null>();
  for (const c of checkpoints) {
    try {
      byEpoch.set(c.epoch, (await readMeta(c.dir)).attempt ?? null);
    } catch (e) {
      report.problems.push(`save_at_${c.epoch}: ${(e as Error).message}`);
      byEpoch.set(c.epoch, null);
    }
  }
  const last = checkpoints.length ? (checkpoints[checkpoints.length - 1] as { epoch: number }).epoch : 0;
  report.lastCheckpoint = last;
  for (let e = 1; e <= last; e++) {
    const attempt = byEpoch.has(e) ? (byEpoch.get(e) as string | null) : null;
    const row: AuditedEpoch = { epoch: e, attempt, batches: 0, ok: false };
    report.epochs.push(row);
    if (!byEpoch.has(e)) { report.problems.push(`save_at_${e} is missing: the newest checkpoint's history has a gap`); continue; }
    if (!attempt) { report.problems.push(`save_at_${e} names no attempt (its meta.json has no "attempt")`); continue; }
    const info = attempts.get(attempt);
    if (!info) { report.problems.push(`save_at_${e}: attempt ${attempt} never recorded its start in ${CONSUMED_JSONL}`); continue; }
    // The weights of epoch e came from save_at_{e-1}: loaded at the attempt's start, or saved by it.
    if (info.resumedFrom > e - 1) { report.problems.push(`save_at_${e}: attempt ${attempt} started from save_at_${info.resumedFrom}, after this epoch`); continue; }
    if (info.resumedFrom < e - 1 && byEpoch.get(e - 1) !== attempt) {
      report.problems.push(`save_at_${e}: attempt ${attempt} did not save save_at_${e - 1} (attempt ${byEpoch.get(e - 1) ?? 'unknown'} did), so its weights skipped that checkpoint`);
      continue;
    }
    const got = seen.get(attempt)?.get(e - 1) ?? new Map<number, number>();
    const missing: number[] = [];
    const twice: number[] = [];
    for (let i = 0; i < info.numBatches; i++) {
      const k = got.get(i) ?? 0;
      if (k === 0) missing.push(i);
      if (k > 1) twice.push(i);
    }
    const extra = [...got.keys()].filter((i) => i < 0 || i >= info.numBatches);
    row.batches = [...got.values()].reduce((s, k) => s + k, 0);
    if (missing.length) report.problems.push(`epoch ${e} (attempt ${attempt}): index(es) ${list(missing)} never consumed`);
    if (twice.length) report.problems.push(`epoch ${e} (attempt ${attempt}): index(es) ${list(twice)} consumed more than once`);
    if (extra.length) report.problems.push(`epoch ${e} (attempt ${attempt}): index(es) ${list(extra)} outside 0..${info.numBatches - 1}`);
    row.ok = !missing.length && !twice.length && !extra.length;
  }
  for (const [attempt, epochs] of seen) {
    for (const [epoch, byIndex] of epochs) {
      const kept = byEpoch.get(epoch + 1) === attempt;
      if (kept) continue;
      const n = [...byIndex.values()].reduce((s, k) => s + k, 0);
      report.notes.push(`attempt ${attempt} consumed ${n} batch(es) of epoch ${epoch + 1} that no checkpoint kept (stopped before saving save_at_${epoch + 1}, or still training)`);
    }
  }
  report.ok = report.problems.length === 0 && last > 0;
  if (last === 0) report.problems.push('no checkpoint yet: nothing to audit');
  return report;
}

async function readConsumed(file: string, report: AuditReport): Promise<ConsumedLine[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: ConsumedLine[] = [];
  const rows = text.split('\n');
  rows.forEach((line, k) => {
    if (!line.trim()) return;
    try {
      const v = JSON.parse(line) as Partial<ConsumedLine> & { type?: string };
      out.push((v.type ? v : { ...v, type: 'batch' }) as ConsumedLine);
    } catch {
      // A kill -9 can tear the line being written; the next attempt starts on a fresh line.
      report.notes.push(`${CONSUMED_JSONL} line ${k + 1} is torn (a process killed while writing it): ignored`);
    }
  });
  return out;
}

function list(xs: number[]): string {
  return xs.length > 8 ? `${xs.slice(0, 8).join(', ')}, ... (${xs.length})` : xs.join(', ');
}
