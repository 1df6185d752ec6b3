import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { confusionSvg, confusionText, curvesSvg, svgToPng } from '../src/charts';

let dir: string;
beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'pawpipe-charts-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Count pixels close to an RGB colour. */
async function countColour(file: string, rgb: [number, number, number]): Promise<number> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < info.width * info.height; i++) {
    if (Math.abs((data[i * 3] as number) - rgb[0]) < 12 && Math.abs((data[i * 3 + 1] as number) - rgb[1]) < 12 && Math.abs((data[i * 3 + 2] as number) - rgb[2]) < 12) n++;
  }
  return n;
}

test('training curves PNG draws training (blue) and validation (orange) lines', async () => {
  const points = Array.from({ length: 8 }, (_, i) => ({ epoch: i + 1, loss: 0.7 / (i + 1), accuracy: 0.5 + i * 0.05, val_loss: 0.8 / (i + 1), val_accuracy: 0.45 + i * 0.06 }));
  const file = path.join(dir, 'curves.png');
  await svgToPng(curvesSvg(points), file);
  const meta = await sharp(file).metadata();
  expect([meta.width, meta.height]).toEqual([1000, 440]);
  expect(await countColour(file, [0x1f, 0x77, 0xb4])).toBeGreaterThan(300);
  expect(await countColour(file, [0xff, 0x7f, 0x0e])).toBeGreaterThan(300);
  if (process.env.PAWPIPE_KEEP_CHARTS) await sharp(file).toFile(path.join(process.env.PAWPIPE_KEEP_CHARTS, 'curves.png'));
});

test('curves with only training metrics (no validation yet) still render', async () => {
  const file = path.join(dir, 'c.png');
  await svgToPng(curvesSvg([{ epoch: 1, loss: 0.69, accuracy: 0.5 }]), file);
  expect(await countColour(file, [0xff, 0x7f, 0x0e])).toBeGreaterThan(0); // the legend swatch
  expect(await countColour(file, [0x1f, 0x77, 0xb4])).toBeGreaterThan(0);
});

test('confusion matrix: text rows are true classes, PNG renders', async () => {
  const m = [[40, 2], [5, 33]];
  expect(confusionText(m, ['Cat', 'Dog'])).toBe(
    'true \\ pred         Cat       Dog\n' +
    'Cat                  40         2\n' +
    'Dog                   5        33\n',
  );
  const file = path.join(dir, 'cm.png');
  await svgToPng(confusionSvg(m, ['Cat', 'Dog'], 'Confusion matrix (epoch 3)'), file);
  const meta = await sharp(file).metadata();
  expect(meta.width).toBeGreaterThan(200);
  if (process.env.PAWPIPE_KEEP_CHARTS) await sharp(file).toFile(path.join(process.env.PAWPIPE_KEEP_CHARTS, 'cm.png'));
});
