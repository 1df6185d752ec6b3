import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { auditRun, listCheckpoints, loadCheckpoint } from '@pawpipe/trainer';
import type { Life } from './supervisor';

export interface Check { name: string; ok: boolean; detail: string }

/** A life's memory verdict: peak RSS early after its first epoch against its peak at the end. */
export interface RssVerdict { life: Life; firstEpochPeak: number | null; earlyPeak: number | null; latePeak: number | null; ok: boolean | null }

/** The late peak may exceed the early one by this much and still count as flat (allocator and GC noise). */
export const RSS_SLACK = { ratio: 1.1, bytes: 32 * 1024 * 1024 };

/**
 * "Flat after its first epoch": the part of a life after its first full epoch (from the second
 * checkpoint that appeared after it started) is cut in two halves by time; the peak RSS of the
 * second half must stay within RSS_SLACK of the first half's. Growth that goes on (a leak) fails;
 * a one-time warm-up (V8 growing its heap, caches filling) early on does not. A life that did not
 * see three checkpoints is not judged.
 */
export function rssVerdict(life: Life, checkpointTimes: number[]): RssVerdict {
  const end = life.endedAt ?? Date.now();
  const marks = checkpointTimes.filter((t) => t > life.startedAt && t < end).sort((a, b) => a - b);
  const peak = (from: number, to: number) => life.rss.filter(([t]) => t >= from && t <= to).reduce<number | null>((m, [, r]) => (m === null || r > m ? r : m), null);
  if (marks.length < 3) return { life, firstEpochPeak: null, earlyPeak: null, latePeak: null, ok: null };
  const firstEpochPeak = peak(marks[0] as number, marks[1] as number);
  const from = marks[1] as number;
  const mid = from + (end - from) / 2;
  const earlyPeak = peak(from, mid);
  const latePeak = peak(mid, end);
  if (earlyPeak === null || latePeak === null) return { life, firstEpochPeak, earlyPeak, latePeak, ok: null };
  return { life, firstEpochPeak, earlyPeak, latePeak, ok: latePeak <= earlyPeak * RSS_SLACK.ratio + RSS_SLACK.bytes };
}

export async function endChecks(runDir: string, epochs: number, trainerExit: number | null, loaderIds: string[]): Promise<Check[]> {
  const checks: Check[] = [];
  const cks = await listCheckpoints(path.join(runDir, 'checkpoints'));
  const lastOk = cks.some((c) => c.epoch === epochs);
  checks.push({ name: 'run completed', ok: trainerExit === 0 && lastOk, detail: `trainer exit ${trainerExit}; save_at_${epochs} ${lastOk ? 'present' : 'missing'}` });

  const audit = await auditRun(runDir);
  checks.push({ name: 'audit clean', ok: audit.ok, detail: audit.ok ? `${audit.epochs.length} epochs, each index once; ${audit.notes.length} note(s) (killed attempts' batches)` : audit.problems.slice(0, 3).join('; ') });

  const consumed = readFileSync(path.join(runDir, 'consumed.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l) as { type?: string; from?: string }; } catch { return {}; } });
  const producers = new Set(consumed.filter((l) => l.type === 'batch').map((l) => l.from));
  const strangers = [...producers].filter((p) => !loaderIds.includes(p ?? ''));
  checks.push({ name: 'only the loaders fed batches', ok: strangers.length === 0, detail: strangers.length ? `batches from ${strangers.join(', ')}` : `producers: ${[...producers].sort().join(', ')}` });

  const evalFile = path.join(runDir, 'eval.jsonl');
  const scored = existsSync(evalFile) ? readFileSync(evalFile, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { epoch: number }).epoch) : [];
  const want = Array.from({ length: epochs }, (_, i) => i + 1);
  const onceEach = JSON.stringify([...scored].sort((a, b) => a - b)) === JSON.stringify(want);
  checks.push({ name: 'each checkpoint scored once', ok: onceEach, detail: onceEach ? `${scored.length} scores for ${epochs} checkpoints` : `scored epochs: ${scored.join(',')}` });

  const corrupt: string[] = [];
  for (const c of cks) {
    try {
      const loaded = await loadCheckpoint(c.dir, { optimizer: true });
      if (loaded.meta.epoch !== c.epoch || !loaded.optimizer) corrupt.push(`save_at_${c.epoch} (meta or optimizer state)`);
      loaded.model.dispose();
    } catch (e) {
      corrupt.push(`save_at_${c.epoch}: ${(e as Error).message}`);
    }
  }
  checks.push({ name: 'no checkpoint corrupt', ok: corrupt.length === 0 && cks.length === epochs, detail: corrupt.length ? corrupt.slice(0, 3).join('; ') : `${cks.length} checkpoints load with optimizer state` });
  return checks;
}
