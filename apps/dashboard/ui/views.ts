import { el, fmt } from './dom';
import { thumbCanvas } from './thumb';
import type { DataReport, EvalLine, HistoryLine, Mistakes, ReportFile, RunSummary } from './types';

export function statusBadge(status: string): HTMLElement {
  return el('span', { class: `badge ${status}` }, status);
}

export function runList(runs: RunSummary[], current: string | null): HTMLElement[] {
  return runs.map((r) => el('li', current === r.name ? { class: 'current' } : {},
    el('a', { href: `#/run/${encodeURIComponent(r.name)}`, 'data-run': r.name }, r.name), ' ', statusBadge(r.status),
    el('div', { class: 'muted small' }, `${r.epochsTrained}${r.epochs ? `/${r.epochs}` : ''} epochs`)));
}

/** The per-epoch table: the trainer's loss/accuracy with the evaluator's val_loss/val_accuracy; the best epoch (lowest val_loss) marked. */
export function epochTable(history: HistoryLine[], evals: EvalLine[], bestEpoch: number | null): HTMLElement {
  const byEpoch = new Map<number, { h?: HistoryLine; e?: EvalLine }>();
  for (const h of history) byEpoch.set(h.epoch, { ...byEpoch.get(h.epoch), h });
  for (const e of evals) byEpoch.set(e.epoch, { ...byEpoch.get(e.epoch), e });
  const rows = [...byEpoch.entries()].sort((a, b) => a[0] - b[0]).map(([epoch, { h, e }]) => el('tr', epoch === bestEpoch ? { class: 'best', 'data-epoch': String(epoch) } : { 'data-epoch': String(epoch) },
    el('td', {}, String(epoch)), el('td', {}, fmt(h?.loss ?? e?.loss)), el('td', {}, fmt(h?.accuracy ?? e?.accuracy)),
    el('td', {}, fmt(e?.val_loss)), el('td', {}, fmt(e?.val_accuracy)), el('td', {}, h?.seconds !== undefined ? h.seconds.toFixed(1) : '–'),
    el('td', {}, epoch === bestEpoch ? 'best' : '')));
  return el('table', { id: 'epochs' },
    el('thead', {}, el('tr', {}, ...['epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'seconds', ''].map((t) => el('th', {}, t)))),
    el('tbody', {}, ...rows));
}

export function confusionTable(e: EvalLine): HTMLElement {
  const max = Math.max(1, ...e.confusion.flat());
  return el('table', { id: 'confusion', class: 'confusion' },
    el('thead', {}, el('tr', {}, el('th', {}, 'true \\ predicted'), ...e.classNames.map((c) => el('th', {}, c)))),
    el('tbody', {}, ...e.confusion.map((row, i) => el('tr', {}, el('th', {}, e.classNames[i] ?? String(i)),
      ...row.map((n, j) => el('td', { class: i === j ? 'diag' : 'off', style: `--share:${(n / max).toFixed(3)}` }, String(n)))))));
}

function reportRows(files: ReportFile[], kind: string): HTMLElement[] {
  return files.map((f) => el('tr', {}, el('td', {}, thumbCanvas(f.thumb, f.path)), el('td', {}, el('code', {}, f.path)), el('td', {}, kind), el('td', {}, f.category), el('td', {}, f.reason)));
}

export function dataReport(r: DataReport | null): HTMLElement {
  if (!r) return el('p', { class: 'muted' }, 'No validator report yet (the evaluator writes data-report.json).');
  return el('div', {},
    el('p', {}, `${r.excluded.length} files left out, ${r.keptWithWarning.length} kept with a warning, in ${r.root}.`),
    el('table', { id: 'data-report' },
      el('thead', {}, el('tr', {}, ...['', 'file', '', 'category', 'reason'].map((t) => el('th', {}, t)))),
      el('tbody', {}, ...reportRows(r.excluded, 'excluded'), ...reportRows(r.keptWithWarning, 'kept, warning'))));
}

export function mistakesView(m: Mistakes | null): HTMLElement {
  if (!m) return el('p', { class: 'muted' }, 'Not scored yet (the evaluator writes mistakes.json for the best epoch).');
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return el('div', {},
    el('p', {}, `Best epoch ${m.epoch}: ${m.wrong} of ${m.images} validation images wrong; the ${m.items.length} it is most sure of:`),
    el('div', { class: 'grid', id: 'mistakes' }, ...m.items.map((it) => el('figure', {},
      thumbCanvas(it.thumb, it.path),
      el('figcaption', {}, el('code', {}, it.path), el('br'), `is ${it.truth}, said ${it.predicted} `,
        el('b', {}, pct(it.probabilities[m.classNames.indexOf(it.predicted)] ?? 0)),
        el('br'), el('span', { class: 'muted small' }, m.classNames.map((c, i) => `${c} ${pct(it.probabilities[i] ?? 0)}`).join(' · ')))))));
}
