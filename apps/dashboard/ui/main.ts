import 'uplot/dist/uPlot.min.css';
import './style.css';
import { Curve, curveData } from './charts';
import { el } from './dom';
import { forgetModel, predictBlob } from './try-it';
import type { RunDetail, RunSummary } from './types';
import { confusionTable, dataReport, epochTable, mistakesView, runList, statusBadge } from './views';

const $ = (id: string) => document.getElementById(id) as HTMLElement;
let current: RunDetail | null = null;
let curves: Curve[] = [];
let shownRun: string | null = null;

async function getJson<T>(url: string): Promise<T> {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

function selectedRun(runs: RunSummary[]): string | null {
  const m = /^#\/run\/(.+)$/.exec(location.hash);
  if (m) return decodeURIComponent(m[1] as string);
  return runs[0]?.name ?? null;
}

async function refreshList(): Promise<RunSummary[]> {
  const runs = await getJson<RunSummary[]>('/api/runs');
  $('runs').replaceChildren(...runList(runs, selectedRun(runs)));
  return runs;
}

async function refresh(): Promise<void> {
  const runs = await refreshList();
  const name = selectedRun(runs);
  if (!name) {
    $('run').replaceChildren(el('p', { class: 'muted' }, 'No runs in this folder yet.'));
    return;
  }
  const detail = await getJson<RunDetail>(`/api/runs/${encodeURIComponent(name)}`);
  render(detail);
}

function render(d: RunDetail): void {
  const sameRun = shownRun === d.name;
  if (current?.model && d.model?.url === current.model.url && d.model.epoch !== current.model.epoch) forgetModel(d.model.url); // best/ moved on
  current = d;
  const loss = curveData(d.history, d.evals, 'loss');
  const acc = curveData(d.history, d.evals, 'accuracy');
  if (sameRun && curves.length === 2) {
    curves[0]?.update(loss);
    curves[1]?.update(acc);
    $('status').replaceChildren(statusBadge(d.status), ` ${d.why}`);
    $('best').textContent = bestLine(d);
    $('table').replaceChildren(epochTable(d.history, d.evals, d.bestEpoch));
    fillDetails(d);
    document.body.dataset.epochs = String(d.history.length);
    return;
  }
  for (const c of curves) c.destroy();
  shownRun = d.name;
  const charts = el('div', { class: 'charts', id: 'charts' });
  $('run').replaceChildren(
    el('h2', {}, d.name, ' ', el('span', { class: 'muted small' }, d.runId ?? '')),
    el('p', { id: 'status' }, statusBadge(d.status), ` ${d.why}`),
    el('section', {}, el('h3', {}, 'Curves'), charts),
    el('section', {}, el('h3', {}, 'Epochs'), el('p', { id: 'best' }, bestLine(d)), el('div', { id: 'table' }, epochTable(d.history, d.evals, d.bestEpoch))),
    el('section', { id: 'try' }, el('h3', {}, 'Try it'), tryIt()),
    el('section', {}, el('h3', {}, 'Confusion matrix (best epoch)'), el('div', { id: 'confusion-box' })),
    el('section', {}, el('h3', {}, 'Most confidently wrong (best model, validation images)'), el('div', { id: 'mistakes-box' })),
    el('section', {}, el('h3', {}, 'Validator report'), el('div', { id: 'report-box' })),
    el('section', {}, el('h3', {}, 'Model summary'), el('pre', { id: 'summary' })),
  );
  curves = [new Curve(charts, 'loss', loss), new Curve(charts, 'accuracy', acc)];
  fillDetails(d);
  document.body.dataset.epochs = String(d.history.length);
}

function bestLine(d: RunDetail): string {
  const b = d.evals.find((e) => e.epoch === d.bestEpoch);
  return b ? `Best epoch: ${b.epoch} (val_loss ${b.val_loss.toFixed(4)}, val_accuracy ${b.val_accuracy.toFixed(4)})` : 'No epoch scored yet.';
}

function fillDetails(d: RunDetail): void {
  const best = d.evals.find((e) => e.epoch === d.bestEpoch);
  $('confusion-box').replaceChildren(best ? confusionTable(best) : el('p', { class: 'muted' }, 'No epoch scored yet.'));
  $('mistakes-box').replaceChildren(mistakesView(d.mistakes));
  $('report-box').replaceChildren(dataReport(d.dataReport));
  $('summary').textContent = d.summary ?? '(no model-summary.txt yet)';
  const what = $('try-model');
  what.textContent = d.model ? `model: epoch ${d.model.epoch} (${d.model.url.split('/').slice(-2, -1)[0]}), ${d.model.imageSize.join('x')}, classes ${d.model.classNames.join(', ')}` : 'No checkpoint yet.';
}

function tryIt(): HTMLElement {
  const input = el('input', { type: 'file', id: 'file', accept: 'image/*' });
  const drop = el('div', { class: 'drop', id: 'drop' }, 'Drop an image here, or ', input);
  const preview = el('img', { id: 'preview', alt: '' });
  const out = el('p', { id: 'sentence', class: 'sentence' });
  const run = async (file: File) => {
    if (!current?.model) {
      out.textContent = 'No checkpoint to predict with yet.';
      return;
    }
    out.textContent = 'predicting…';
    out.removeAttribute('data-probs');
    out.removeAttribute('data-file');
    preview.src = URL.createObjectURL(file);
    try {
      const p = await predictBlob(file, current.model);
      out.textContent = p.sentence;
      out.dataset.file = file.name;
      out.dataset.probs = JSON.stringify(p.classes);
      out.dataset.backend = p.backend;
      $('try-backend').textContent = `TensorFlow.js backend: ${p.backend}`;
    } catch (e) {
      out.textContent = `cannot predict ${file.name}: ${(e as Error).message}`;
    }
  };
  input.addEventListener('change', () => { if (input.files?.[0]) void run(input.files[0]); });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer?.files[0];
    if (f) void run(f);
  });
  return el('div', {}, el('p', { id: 'try-model', class: 'muted small' }), drop, el('div', { class: 'try-out' }, preview, out), el('p', { id: 'try-backend', class: 'muted small' }));
}

/** Live updates: the server says which runs changed (server-sent events); the page fetches them again. */
function listen(): void {
  const es = new EventSource('/api/events');
  es.onopen = () => { $('live').textContent = 'live'; $('live').className = 'live on'; };
  es.onerror = () => { $('live').textContent = 'reconnecting…'; $('live').className = 'live'; };
  es.addEventListener('change', (ev) => {
    const { runs } = JSON.parse((ev as MessageEvent<string>).data) as { runs: string[] };
    if (shownRun && runs.includes(shownRun)) void refresh();
    else void refreshList();
  });
}

window.addEventListener('hashchange', () => void refresh());
listen();
void refresh().catch((e: unknown) => { $('run').textContent = (e as Error).message; });
