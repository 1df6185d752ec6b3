/**
 * The scale bench's figure: one small panel per cost, each against the number of files (log
 * scale), one line per series. Drawn as SVG and rasterised by sharp (librsvg), so no canvas.
 */
import sharp from 'sharp';

export interface Panel {
  title: string;
  unit: string;
  series: Array<{ name: string; points: Array<[files: number, value: number]> }>;
}

const W = 420;
const H = 260;
const M = { l: 64, r: 16, t: 34, b: 40 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v: number) => (v >= 1e9 ? `${(v / 1e9).toFixed(1)}G` : v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e4 ? `${(v / 1e3).toFixed(0)}k` : v >= 100 ? v.toFixed(0) : v.toPrecision(2));

function panel(p: Panel, x0: number, y0: number): string {
  const pts = p.series.flatMap((s) => s.points);
  if (pts.length === 0) return '';
  const xs = [...new Set(pts.map((q) => q[0]))].sort((a, b) => a - b);
  const lx = (n: number) => Math.log10(n);
  const [xmin, xmax] = [lx(xs[0]!), lx(xs[xs.length - 1]!)];
  const ymax = Math.max(...pts.map((q) => q[1])) * 1.1 || 1;
  const px = (n: number) => x0 + M.l + ((lx(n) - xmin) / (xmax - xmin || 1)) * (W - M.l - M.r);
  const py = (v: number) => y0 + H - M.b - (v / ymax) * (H - M.t - M.b);
  const out: string[] = [];
  out.push(`<text x="${x0 + M.l}" y="${y0 + 20}" font-size="14" font-weight="bold">${esc(p.title)} (${esc(p.unit)})</text>`);
  out.push(`<line x1="${x0 + M.l}" y1="${py(0)}" x2="${x0 + W - M.r}" y2="${py(0)}" stroke="#444"/>`);
  out.push(`<line x1="${x0 + M.l}" y1="${py(0)}" x2="${x0 + M.l}" y2="${y0 + M.t}" stroke="#444"/>`);
  for (const n of xs) out.push(`<text x="${px(n)}" y="${py(0) + 16}" font-size="11" text-anchor="middle">${fmt(n)}</text>`);
  out.push(`<text x="${x0 + (W + M.l) / 2}" y="${y0 + H - 6}" font-size="11" text-anchor="middle">files (log scale)</text>`);
  for (const f of [0, 0.5, 1]) out.push(`<text x="${x0 + M.l - 6}" y="${py(f * ymax) + 4}" font-size="11" text-anchor="end">${fmt(f * ymax)}</text>`);
  p.series.forEach((s, k) => {
    const c = COLOURS[k % COLOURS.length]!;
    const line = s.points.map(([n, v]) => `${px(n).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${line}" fill="none" stroke="${c}" stroke-width="2"/>`);
    for (const [n, v] of s.points) out.push(`<circle cx="${px(n)}" cy="${py(v)}" r="3" fill="${c}"/>`);
    out.push(`<text x="${x0 + M.l + 8}" y="${y0 + M.t + 14 + 14 * k}" font-size="11" fill="${c}">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

export async function plotPanels(panels: Panel[], file: string, title: string): Promise<void> {
  const cols = 2;
  const rows = Math.ceil(panels.length / cols);
  const width = cols * W;
  const height = rows * H + 30;
  const body = panels.map((p, i) => panel(p, (i % cols) * W, 30 + Math.floor(i / cols) * H)).join('\n');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>
${body}
</svg>`;
  await sharp(Buffer.from(svg)).png().toFile(file);
}
