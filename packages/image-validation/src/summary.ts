import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CATEGORIES, type ScanReport } from './types';

/** At most this many class columns in the table; wider folders show the total column only. */
const MAX_CLASS_COLUMNS = 8;

/** The summary table: one row per category (plus flagged), one column per class folder and a total. */
export function formatSummary(report: ScanReport): string {
  const s = report.summary;
  const classes = Object.keys(s.byClass).sort();
  const cols = classes.length <= MAX_CLASS_COLUMNS ? classes : [];
  const head = ['category', ...cols, 'total'];
  const rows: string[][] = [];
  for (const c of CATEGORIES) {
    if (s.byCategory[c] === 0 && c !== 'ok') continue;
    rows.push([c, ...cols.map((k) => String(s.byClass[k]!.byCategory[c])), String(s.byCategory[c])]);
  }
  rows.push(['flagged', ...cols.map((k) => String(s.byClass[k]!.flagged)), String(s.flagged)]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  const secs = (s.durationMs / 1000).toFixed(1);
  const title =
    `${s.total} files in ${report.root} (policy ${report.policy}, ${secs} s, ${s.cached} from cache` +
    `${s.hidden ? `, ${s.hidden} hidden skipped` : ''})`;
  return [title, line(head), ...rows.map(line)].join('\n');
}

/** The JSON report: one entry per file (relative path, category, flagged, reason, facts). */
export function reportJson(report: ScanReport): object {
  return {
    tool: 'validate-images',
    root: report.root,
    policy: report.policy,
    maxPixels: report.maxPixels,
    summary: report.summary,
    entries: report.entries,
  };
}

/** Writes the JSON report atomically (tmp + rename): a reader never sees half a file. */
export async function writeJsonReport(report: ScanReport, file: string): Promise<void> {
  const abs = path.resolve(file);
  const tmp = `${abs}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, `${JSON.stringify(reportJson(report), null, 2)}\n`);
  await fsp.rename(tmp, abs);
}
