/**
 * `pnpm bench`: how long the default demo set (2 x 1,000 pictures plus the planted files) takes to
 * generate, on all cores, into a temporary folder.
 */
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULTS, generateDemoData } from '../src';

async function main(): Promise<void> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'pawpipe-demo-bench-'));
  try {
    const t0 = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const r = await generateDemoData({ outDir: path.join(dir, 'demo') });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const u = process.cpuUsage(cpu);
    process.stdout.write(
      `demo-data: ${r.files} files (${DEFAULTS.classes.length} x ${DEFAULTS.perClass} pictures + ${r.manifest.length} planted) in ${s.toFixed(1)} s ` +
        `= ${(r.files / s).toFixed(0)} files/s on ${os.availableParallelism()} cores (CPU, all threads: ${((u.user + u.system) / 1e6).toFixed(1)} s; shared machine, noisy)\n`,
    );
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
