import { appendFileSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

// Run folders as the trainer and evaluator leave them (file names and line formats of
// apps/trainer and apps/evaluator), without training: the page only reads these files.

export const CLASSES = ['Cat', 'Dog'];

/** Plausible curves: the loss falls, the accuracy rises, validation a little behind. */
export function historyLine(epoch: number): Record<string, unknown> {
  return { epoch, loss: 0.7 * Math.exp(-0.35 * epoch), accuracy: 1 - 0.45 * Math.exp(-0.4 * epoch), seconds: 20 + epoch, steps: 51, images: 1610, checkpoint: `save_at_${epoch}`, runId: 'run-fixture' };
}

export function evalLine(epoch: number, epochs: number): Record<string, unknown> {
  const h = historyLine(epoch) as { loss: number; accuracy: number };
  const valAcc = 1 - 0.5 * Math.exp(-0.33 * epoch);
  const wrong = Math.round(400 * (1 - valAcc));
  return {
    runId: 'run-fixture', epoch, epochs, checkpoint: `save_at_${epoch}`, loss: h.loss, accuracy: h.accuracy,
    val_loss: 0.75 * Math.exp(-0.3 * epoch) + (epoch > 5 ? 0.06 * (epoch - 5) : 0), val_accuracy: valAcc, images: 400,
    confusion: [[200 - Math.floor(wrong / 2), Math.floor(wrong / 2)], [Math.ceil(wrong / 2), 200 - Math.ceil(wrong / 2)]], classNames: CLASSES, seconds: 3,
  };
}

function thumb(size: number, seed: number): { width: number; height: number; rgb: string } {
  const px = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      const inHead = (x - size / 2) ** 2 + (y - size / 2) ** 2 < (size / 3) ** 2;
      px[i] = inHead ? 120 + seed * 20 : 40 + ((x + seed * 7) % 40);
      px[i + 1] = inHead ? 80 : 120 + (y % 30);
      px[i + 2] = inHead ? 40 : 90;
    }
  }
  return { width: size, height: size, rgb: px.toString('base64') };
}

export const SUMMARY = 'Model: "mini_xception"\n Layer (type)              Output Shape        Param #\n image (InputLayer)        (None, 32, 32, 3)   0\n ...\nTotal params: 2,782,649\n';

/** A run folder: `trained` epochs of `epochs` in history.jsonl, `scored` of them in eval.jsonl, and the evaluator's page reports. */
export function writeRun(dir: string, o: { epochs: number; trained: number; scored: number }): void {
  mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
  writeFileSync(path.join(dir, 'model-summary.txt'), SUMMARY);
  writeFileSync(path.join(dir, 'history.jsonl'), '');
  writeFileSync(path.join(dir, 'eval.jsonl'), '');
  for (let e = 1; e <= o.trained; e++) appendFileSync(path.join(dir, 'history.jsonl'), `${JSON.stringify(historyLine(e))}\n`);
  for (let e = 1; e <= o.scored; e++) appendFileSync(path.join(dir, 'eval.jsonl'), `${JSON.stringify(evalLine(e, o.epochs))}\n`);
  writeFileSync(path.join(dir, 'data-report.json'), JSON.stringify({
    root: '/data/demo', exclude: ['not-an-image', 'too-large', 'damaged', 'unsupported'], found: 2012,
    excluded: [
      { path: 'Cat/666.jpg', category: 'not-an-image', reason: 'empty file (0 bytes)', thumb: null },
      { path: 'Dog/1000.jpg', category: 'damaged', reason: 'JPEG is damaged: corrupt image data: premature end of data segment', thumb: null },
    ],
    keptWithWarning: [{ path: 'Cat/1004.jpg', category: 'format-mismatch', reason: 'PNG data under a .jpg name', thumb: thumb(48, 1) }],
  }));
  if (o.scored > 0) {
    // the lowest val_loss scored so far, as the evaluator keeps it
    const best = Array.from({ length: o.scored }, (_, i) => evalLine(i + 1, o.epochs) as { epoch: number; val_loss: number; confusion: number[][] })
      .reduce((b, e) => (e.val_loss < b.val_loss ? e : b));
    writeFileSync(path.join(dir, 'mistakes.json'), JSON.stringify({
      epoch: best.epoch, classNames: CLASSES, images: 400, wrong: (best.confusion[0]?.[1] ?? 0) + (best.confusion[1]?.[0] ?? 0),
      items: [
        { path: 'Dog/17.jpg', truth: 'Dog', predicted: 'Cat', probabilities: [0.93, 0.07], thumb: thumb(96, 2) },
        { path: 'Cat/503.jpg', truth: 'Cat', predicted: 'Dog', probabilities: [0.21, 0.79], thumb: thumb(96, 3) },
      ],
    }));
  }
}

/** Make a run look abandoned (its files last touched long ago). */
export function age(dir: string, seconds: number): void {
  const t = new Date(Date.now() - seconds * 1000);
  for (const f of ['history.jsonl', 'eval.jsonl', 'model-summary.txt', 'data-report.json', 'mistakes.json', 'checkpoints']) {
    try {
      utimesSync(path.join(dir, f), t, t);
    } catch { /* not there */ }
  }
}
