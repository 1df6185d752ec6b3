import sharp from 'sharp';

/** One epoch of the curves: training metrics from the trainer, validation from the evaluator. */
export interface CurvePoint {
  /** 1-based */
  epoch: number;
  loss?: number;
  accuracy?: number;
  val_loss?: number;
  val_accuracy?: number;
}

const FONT = 'DejaVu Sans, Arial, Helvetica, sans-serif';
const TRAIN = '#1f77b4';
const VAL = '#ff7f0e';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 'Nice' axis ticks (1, 2, 5 x 10^k steps). */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (hi - lo < 1e-12) {
    hi = lo + 1;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toFixed(10)));
  return out;
}

function panel(x0: number, y0: number, w: number, h: number, title: string, points: CurvePoint[], keys: [keyof CurvePoint, keyof CurvePoint], labels: [string, string], yRange?: [number, number], legendBottom = false): string {
  const ml = 56, mr = 16, mt = 34, mb = 44;
  const pw = w - ml - mr, ph = h - mt - mb;
  const epochs = points.map((p) => p.epoch);
  const xMin = Math.min(1, ...epochs), xMax = Math.max(2, ...epochs);
  const values = points.flatMap((p) => keys.map((k) => p[k])).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  let [yLo, yHi] = yRange ?? [Math.min(0, ...values), Math.max(...values, 0.1)];
  if (!yRange) yHi *= 1.05;
  if (yHi <= yLo) yHi = yLo + 1;
  const sx = (e: number) => x0 + ml + ((e - xMin) / (xMax - xMin)) * pw;
  const sy = (v: number) => y0 + mt + ph - ((v - yLo) / (yHi - yLo)) * ph;
  const parts: string[] = [];
  parts.push(`<text x="${x0 + ml + pw / 2}" y="${y0 + 22}" text-anchor="middle" font-size="16" font-weight="bold">${esc(title)}</text>`);
  for (const t of ticks(yLo, yHi)) {
    parts.push(`<line x1="${x0 + ml}" x2="${x0 + ml + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x0 + ml - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="11">${Number(t.toFixed(4))}</text>`);
  }
  const xt = ticks(xMin, xMax, Math.min(10, xMax - xMin)).filter((t) => Number.isInteger(t));
  for (const t of xt) {
    parts.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${y0 + mt + ph}" y2="${y0 + mt + ph + 4}" stroke="#333"/>`);
    parts.push(`<text x="${sx(t)}" y="${y0 + mt + ph + 17}" text-anchor="middle" font-size="11">${t}</text>`);
  }
  parts.push(`<rect x="${x0 + ml}" y="${y0 + mt}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${x0 + ml + pw / 2}" y="${y0 + h - 8}" text-anchor="middle" font-size="12">epoch</text>`);
  keys.forEach((key, i) => {
    const color = i === 0 ? TRAIN : VAL;
    const pts = points.filter((p) => typeof p[key] === 'number' && Number.isFinite(p[key] as number)).sort((a, b) => a.epoch - b.epoch);
    if (pts.length > 1) {
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${sx(p.epoch).toFixed(1)},${sy(p[key] as number).toFixed(1)}`).join(' ')}"/>`);
    }
    for (const p of pts) parts.push(`<circle cx="${sx(p.epoch).toFixed(1)}" cy="${sy(p[key] as number).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = legendBottom ? y0 + mt + ph - 32 + i * 18 : y0 + mt + 10 + i * 18;
    const lx = x0 + ml + pw - 120;
    parts.push(`<line x1="${lx}" x2="${lx + 20}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${lx + 26}" y="${ly + 4}" font-size="12">${esc(labels[i] as string)}</text>`);
  });
  return parts.join('\n');
}

/** Training curves like the Keras history plots: loss and accuracy, training and validation, per epoch. */
export function curvesSvg(points: CurvePoint[], title = 'Training curves'): string {
  const W = 1000, H = 440;
  const body = [
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="18">${esc(title)}</text>`,
    panel(0, 30, W / 2, H - 30, 'Loss', points, ['loss', 'val_loss'], ['training', 'validation']),
    panel(W / 2, 30, W / 2, H - 30, 'Accuracy', points, ['accuracy', 'val_accuracy'], ['training', 'validation'], [0, 1], true),
  ];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="${FONT}">\n${body.join('\n')}\n</svg>\n`;
}

/** Confusion matrix as a heat map: rows are true classes, columns predictions. */
export function confusionSvg(matrix: number[][], classNames: string[], title: string): string {
  const k = classNames.length;
  const cell = Math.max(36, Math.min(90, Math.floor(540 / k)));
  const mt = 90;
  // wide enough for the title (about 8.5 px per character at 16 px); the grid centred below it
  const W = Math.max(150 + k * cell + 40, Math.ceil(title.length * 8.5) + 40), H = mt + k * cell + 30;
  const ml = Math.max(150, Math.round((W - k * cell) / 2));
  const parts = [`<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="26" text-anchor="middle" font-size="16">${esc(title)}</text>`,
    `<text x="${ml + (k * cell) / 2}" y="${mt - 34}" text-anchor="middle" font-size="13" font-weight="bold">predicted</text>`,
    `<text x="${ml - 110}" y="${mt + (k * cell) / 2}" text-anchor="middle" font-size="13" font-weight="bold" transform="rotate(-90 ${ml - 110} ${mt + (k * cell) / 2})">true</text>`];
  classNames.forEach((name, j) => {
    parts.push(`<text x="${ml + j * cell + cell / 2}" y="${mt - 10}" text-anchor="middle" font-size="12">${esc(name)}</text>`);
    parts.push(`<text x="${ml - 8}" y="${mt + j * cell + cell / 2 + 4}" text-anchor="end" font-size="12">${esc(name)}</text>`);
  });
  for (let i = 0; i < k; i++) {
    const rowSum = (matrix[i] ?? []).reduce((a, b) => a + b, 0);
    for (let j = 0; j < k; j++) {
      const v = matrix[i]?.[j] ?? 0;
      // shaded by the share of the true class (row), so small classes read as well as large ones
      const share = rowSum > 0 ? v / rowSum : 0;
      const shade = Math.round(255 - share * 200);
      const fill = `rgb(${shade},${Math.round(shade * 0.9 + 25)},255)`;
      parts.push(`<rect x="${ml + j * cell}" y="${mt + i * cell}" width="${cell}" height="${cell}" fill="${fill}" stroke="#666"/>`);
      parts.push(`<text x="${ml + j * cell + cell / 2}" y="${mt + i * cell + cell / 2}" text-anchor="middle" font-size="13" fill="${share > 0.6 ? 'white' : 'black'}">${v}</text>`);
      if (rowSum > 0) parts.push(`<text x="${ml + j * cell + cell / 2}" y="${mt + i * cell + cell / 2 + 15}" text-anchor="middle" font-size="10" fill="${share > 0.6 ? 'white' : '#333'}">${((100 * v) / rowSum).toFixed(1)}%</text>`);
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="${FONT}">\n${parts.join('\n')}\n</svg>\n`;
}

/** Plain-text confusion matrix (rows true, columns predicted). */
export function confusionText(matrix: number[][], classNames: string[]): string {
  const width = Math.max(8, ...classNames.map((c) => c.length), ...matrix.flat().map((v) => String(v).length)) + 2;
  const first = Math.max(width, ...classNames.map((c) => c.length + 2), 13);
  const head = `${'true \\ pred'.padEnd(first)}${classNames.map((c) => c.padStart(width)).join('')}`;
  const rows = classNames.map((c, i) => `${c.padEnd(first)}${(matrix[i] ?? []).map((v) => String(v).padStart(width)).join('')}`);
  return `${[head, ...rows].join('\n')}\n`;
}

/** Rasterise an SVG to PNG with sharp (librsvg inside, text included). */
export async function svgToPng(svg: string, file: string): Promise<void> {
  await sharp(Buffer.from(svg)).png().toFile(file);
}
