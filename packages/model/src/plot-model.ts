// A picture of the layer graph like Keras' plot_model(show_shapes=True), laid out by hand so no
// system graphviz is needed: one box per layer (name, type, input and output shapes) in
// topological order; layers on the longest input-to-output path form the main column and the
// others (the residual projections) sit in a side column, with their edges drawn as curves.
// Written as SVG, or as PNG through sharp (librsvg renders the SVG, text included).
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import type { tf } from '@pawpipe/tf-backend';

interface GraphNode {
  name: string;
  type: string;
  input: string;
  output: string;
  inbound: string[];
}

const BOX_W = 500;
const BOX_H = 46;
const ROW = 70;
const COL = 540;
const MARGIN = 30;

function shapeText(shape: unknown): string {
  const one = (s: unknown): string =>
    Array.isArray(s) ? `(${s.map((d) => (d == null ? 'None' : String(d))).join(', ')})` : String(s);
  if (Array.isArray(shape) && shape.length > 0 && Array.isArray(shape[0])) return `[${shape.map(one).join(', ')}]`;
  return one(shape);
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function graphNodes(model: tf.LayersModel): GraphNode[] {
  return model.layers.map((layer) => {
    const inboundLayers = layer.inboundNodes[0]?.inboundLayers ?? [];
    const inbound = inboundLayers.map((l) => l.name);
    const outputShape = layer.outputShape;
    const inputShape = inboundLayers.length === 0 ? outputShape
      : inboundLayers.length === 1 ? inboundLayers[0]!.outputShape : inboundLayers.map((l) => l.outputShape);
    return { name: layer.name, type: layer.getClassName(), input: shapeText(inputShape), output: shapeText(outputShape), inbound };
  });
}

/** Marks the layers on the longest path from an input to the last layer (the main column). */
function mainPath(nodes: GraphNode[]): Set<string> {
  const depth = new Map<string, number>();
  const best = new Map<string, string | undefined>();
  for (const n of nodes) {
    let d = 0;
    let from: string | undefined;
    for (const i of n.inbound) {
      const di = (depth.get(i) ?? 0) + 1;
      if (di > d) { d = di; from = i; }
    }
    depth.set(n.name, d);
    best.set(n.name, from);
  }
  const main = new Set<string>();
  let cur: string | undefined = nodes[nodes.length - 1]?.name;
  while (cur !== undefined) {
    main.add(cur);
    cur = best.get(cur);
  }
  return main;
}

export function modelGraphSvg(model: tf.LayersModel): string {
  const nodes = graphNodes(model);
  const main = mainPath(nodes);
  const pos = new Map<string, { x: number; y: number }>();
  nodes.forEach((n, row) => {
    pos.set(n.name, { x: MARGIN + (main.has(n.name) ? 0 : COL), y: MARGIN + row * ROW });
  });
  const hasSide = nodes.some((n) => !main.has(n.name));
  const width = MARGIN * 2 + BOX_W + (hasSide ? COL : 0);
  const height = MARGIN * 2 + (nodes.length - 1) * ROW + BOX_H;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`);
  parts.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>');
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  for (const n of nodes) {
    const to = pos.get(n.name)!;
    for (const i of n.inbound) {
      const from = pos.get(i);
      if (from == null) continue;
      const x1 = from.x + BOX_W / 2;
      const y1 = from.y + BOX_H;
      const x2 = to.x + BOX_W / 2;
      const y2 = to.y;
      if (x1 === x2 && y2 - y1 <= ROW) {
        parts.push(`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#333" stroke-width="1.5" marker-end="url(#arrow)"/>`);
      } else {
        // leave and enter the boxes on the side facing the other column
        const side = x1 === x2 ? BOX_W / 2 + 20 : 0;
        const sx = x1 + (x1 === x2 ? BOX_W / 2 : 0);
        const ex = x2 + (x1 === x2 ? BOX_W / 2 : 0);
        parts.push(`<path d="M ${sx} ${y1 - BOX_H / 2} C ${Math.max(sx, ex) + side + 60} ${y1}, ${Math.max(sx, ex) + side + 60} ${y2}, ${ex} ${y2 + (x1 === x2 ? BOX_H / 2 : 0)}" fill="none" stroke="#333" stroke-width="1.5" marker-end="url(#arrow)"/>`);
      }
    }
  }
  for (const n of nodes) {
    const { x, y } = pos.get(n.name)!;
    const split = 190;
    parts.push(`<g><rect x="${x}" y="${y}" width="${BOX_W}" height="${BOX_H}" fill="${main.has(n.name) ? '#eef4fb' : '#fbf3e6'}" stroke="#333"/>`);
    parts.push(`<line x1="${x + split}" y1="${y}" x2="${x + split}" y2="${y + BOX_H}" stroke="#333"/>`);
    parts.push(`<line x1="${x + split}" y1="${y + BOX_H / 2}" x2="${x + BOX_W}" y2="${y + BOX_H / 2}" stroke="#333"/>`);
    parts.push(`<text x="${x + split / 2}" y="${y + 19}" font-size="12" text-anchor="middle">${escapeXml(n.name)}</text>`);
    parts.push(`<text x="${x + split / 2}" y="${y + 36}" font-size="11" fill="#555" text-anchor="middle">${escapeXml(n.type)}</text>`);
    parts.push(`<text x="${x + split + 6}" y="${y + 16}" font-size="11">input: ${escapeXml(n.input)}</text>`);
    parts.push(`<text x="${x + split + 6}" y="${y + BOX_H / 2 + 16}" font-size="11">output: ${escapeXml(n.output)}</text></g>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** Writes the graph to `file`: .svg as is, .png rendered by sharp. */
export async function plotModel(model: tf.LayersModel, file: string): Promise<void> {
  const svg = modelGraphSvg(model);
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.svg' && ext !== '.png') throw new Error(`plotModel: ${file}: use a .svg or .png file name`);
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  if (ext === '.svg') {
    await fs.writeFile(file, svg);
  } else {
    await sharp(Buffer.from(svg)).png().toFile(file);
  }
}
