#!/usr/bin/env node
/**
 * The project's main job for now (`pnpm run demo`): make sure the default demo set exists, run
 * validate-images on it, and check that exactly the planted files are flagged, each with its
 * expected category. Exit 0 when they match, 1 when they do not.
 */
import { formatSummary, scan } from '@pawpipe/image-validation';
import { defaultDemoDir, ensureDemoData } from './demo-dir';
import { readDemoManifest } from './generate';

async function main(): Promise<number> {
  const t0 = Date.now();
  const dir = await ensureDemoData({ outDir: defaultDemoDir() });
  const manifest = (await readDemoManifest(dir))!;
  process.stdout.write(`demo: ${manifest.files} files in ${dir} (ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  const report = await scan(dir, { policy: 'strict' });
  process.stdout.write(`${formatSummary(report)}\n`);
  const expected = new Map(manifest.planted.filter((p) => p.expected !== 'ok').map((p) => [p.path, p.expected]));
  const problems: string[] = [];
  for (const e of report.entries) {
    const want = expected.get(e.path);
    if (e.flagged && want === undefined) problems.push(`${e.path}: flagged as ${e.category} (${e.reason}) but not planted`);
    else if (want !== undefined && e.category !== want) problems.push(`${e.path}: expected ${want}, got ${e.category} (${e.reason})`);
  }
  for (const p of manifest.planted) {
    const e = report.entries.find((x) => x.path === p.path);
    if (e && p.note !== (e.note !== undefined)) problems.push(`${p.path}: expected ${p.note ? 'a note' : 'no note'}, got ${e.note ?? 'none'}`);
  }
  const seen = new Set(report.entries.map((e) => e.path));
  for (const p of expected.keys()) if (!seen.has(p)) problems.push(`${p}: planted but not examined`);
  for (const p of problems) process.stderr.write(`demo: ${p}\n`);
  const training = (t: string) => manifest.planted.filter((p) => p.training === t).length;
  process.stdout.write(
    `demo: training leaves out ${training('left-out')} planted files, keeps ${training('kept-with-warning')} with a warning and uses ${training('used')} as they are\n`,
  );
  process.stdout.write(problems.length === 0
    ? `demo: OK, validate-images flagged exactly the ${expected.size} planted files, each with its expected category\n`
    : `demo: FAILED, ${problems.length} mismatches against the planted manifest\n`);
  return problems.length === 0 ? 0 : 1;
}

main().then((code) => (process.exitCode = code), (e: unknown) => {
  process.stderr.write(`demo: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 3;
});
