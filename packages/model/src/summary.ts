// Keras-style summary table (Keras 2 print_summary for functional models): layer (type),
// output shape, param count, connected-to, then total / trainable / non-trainable counts with
// thousands separators. Columns widen to fit instead of truncating names.
import type { tf } from '@pawpipe/tf-backend';

function shapeText(shape: unknown): string {
  const one = (s: unknown): string =>
    Array.isArray(s) ? `(${s.map((d) => (d == null ? 'None' : String(d))).join(', ')})` : String(s);
  if (Array.isArray(shape) && shape.length > 0 && Array.isArray(shape[0])) return `[${shape.map(one).join(', ')}]`;
  return one(shape);
}

const count = (n: number): string => n.toLocaleString('en-US');
const size = (ws: tf.LayerVariable[]): number => ws.reduce((a, w) => a + w.shape.reduce((p: number, d) => p * (d ?? 1), 1), 0);

export interface SummaryRow { layer: string; outputShape: string; params: number; connectedTo: string[] }

export function summaryRows(model: tf.LayersModel): SummaryRow[] {
  return model.layers.map((layer) => ({
    layer: `${layer.name} (${layer.getClassName()})`,
    outputShape: shapeText(layer.outputShape),
    params: layer.countParams(),
    connectedTo: (layer.inboundNodes[0]?.inboundLayers ?? []).map((l) => l.name),
  }));
}

export function modelSummary(model: tf.LayersModel): string {
  const rows = summaryRows(model);
  const header = ['Layer (type)', 'Output Shape', 'Param #', 'Connected to'];
  const cells = rows.map((r) => [r.layer, r.outputShape, count(r.params), r.connectedTo.join(', ')]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)) + 3);
  const line = (c: string[]): string => ' ' + c.map((v, i) => v.padEnd(widths[i] as number)).join('').trimEnd();
  const total = widths.reduce((a, b) => a + b, 1);
  const out = [`Model: "${model.name}"`, '_'.repeat(total), line(header), '='.repeat(total)];
  cells.forEach((c, i) => {
    out.push(line(c));
    out.push(i === cells.length - 1 ? '='.repeat(total) : '');
  });
  out.push(`Total params: ${count(model.countParams())}`);
  out.push(`Trainable params: ${count(size(model.trainableWeights))}`);
  out.push(`Non-trainable params: ${count(size(model.nonTrainableWeights))}`);
  out.push('_'.repeat(total));
  return out.join('\n');
}
