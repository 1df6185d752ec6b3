import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { auditRun, CONSUMED_JSONL } from '@pawpipe/trainer';
import type { AuditReport } from '@pawpipe/trainer';

/** Exit codes of `audit`: 0 clean, 2 bad flag or not a run folder, 4 the audit found problems (listed). */
export const AUDIT_EXIT = { ok: 0, usage: 2, problems: 4 } as const;

interface AuditArgs { run: string; json: boolean }

export const auditCommand: CommandModule<object, AuditArgs> = {
  command: 'audit <run>',
  describe: 'prove that every epoch of a run\'s saved weights trained on each batch exactly once (consumed.jsonl against the checkpoints)',
  builder: (y) => y
    .positional('run', { type: 'string', demandOption: true, describe: 'a run folder (with consumed.jsonl and checkpoints/)' })
    .option('json', { type: 'boolean', default: false, describe: 'the report as one JSON document on stdout' })
    .example('$0 audit runs/demo', 'epoch by epoch: the attempt that trained it and its batches') as never,
  handler: async (args) => {
    const runDir = path.resolve(args.run);
    if (!existsSync(path.join(runDir, CONSUMED_JSONL))) {
      process.stderr.write(`pawpipe: ${args.run} has no ${CONSUMED_JSONL}: give a run folder the trainer wrote (--run-dir)\n`);
      process.exitCode = AUDIT_EXIT.usage;
      return;
    }
    const report = await auditRun(runDir);
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatAudit(report));
    process.exitCode = report.ok ? AUDIT_EXIT.ok : AUDIT_EXIT.problems;
  },
};

export function formatAudit(r: AuditReport): string {
  const rows = r.epochs.map((e) => `  ${String(e.epoch).padStart(5)}  ${(e.attempt ?? '-').padEnd(24)}  ${String(e.batches).padStart(7)}  ${e.ok ? 'ok' : 'PROBLEM'}`);
  return [
    `audit of ${r.runDir}: ${r.ok ? `clean: each of the ${r.lastCheckpoint} epoch(s) of save_at_${r.lastCheckpoint} consumed each batch exactly once` : `${r.problems.length} problem(s)`}`,
    '  epoch  attempt                   batches  verdict',
    ...rows,
    ...r.problems.map((p) => `problem: ${p}`),
    ...r.notes.map((n) => `note: ${n}`),
  ].join('\n') + '\n';
}
