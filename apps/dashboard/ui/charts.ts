import uPlot from 'uplot';
import type { EvalLine, HistoryLine } from './types';

type Series = Array<number | null>;

/** Epochs 1..N with the trainer's values and the evaluator's (null where an epoch is not scored yet). */
export function curveData(history: HistoryLine[], evals: EvalLine[], metric: 'loss' | 'accuracy'): [number[], Series, Series] {
  const epochs = [...new Set([...history.map((h) => h.epoch), ...evals.map((e) => e.epoch)])].sort((a, b) => a - b);
  const train = new Map(history.map((h) => [h.epoch, h[metric]]));
  const val = new Map(evals.map((e) => [e.epoch, metric === 'loss' ? e.val_loss : e.val_accuracy]));
  return [epochs, epochs.map((e) => train.get(e) ?? null), epochs.map((e) => val.get(e) ?? null)];
}

/** One chart (training and validation of a metric), updated in place when new epochs arrive. */
export class Curve {
  private readonly plot: uPlot;

  constructor(target: HTMLElement, readonly metric: 'loss' | 'accuracy', data: [number[], Series, Series]) {
    this.plot = new uPlot({
      title: metric === 'loss' ? 'Loss' : 'Accuracy',
      width: 400, height: 240,
      scales: { x: { time: false } },
      axes: [{ label: 'epoch', incrs: [1, 2, 5, 10, 20, 50] }, {}],
      series: [
        { label: 'epoch' },
        { label: metric, stroke: '#1f77b4', width: 2, points: { show: true } },
        { label: `val_${metric}`, stroke: '#ff7f0e', width: 2, dash: [6, 4], points: { show: true } },
      ],
    }, data as uPlot.AlignedData, target);
  }

  update(data: [number[], Series, Series]): void {
    this.plot.setData(data as uPlot.AlignedData);
  }

  destroy(): void {
    this.plot.destroy();
  }
}
