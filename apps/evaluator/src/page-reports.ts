import * as path from 'node:path';
import { decodeRgb, resizeImage } from '@pawpipe/data-pipeline';
import type { Entry, ExcludedFile, IndexResult } from '@pawpipe/data-pipeline';
import { writeFileSynced } from '@pawpipe/trainer';

// Two small JSON files beside report.md for the dashboard (apps/dashboard), which serves only
// the run folder: the data folder's pictures travel inside them as tiny raw-RGB thumbnails.

export const PAGE_FILES = { dataReport: 'data-report.json', mistakes: 'mistakes.json' } as const;

/** A picture as raw RGB bytes, base64 (the page draws it into a canvas). */
export interface Thumb { width: number; height: number; rgb: string }

/** Thumbnails per list at most: the Kaggle folder has ~1,600 excluded files, their pictures would weigh ~15 MB. */
const MAX_THUMBS = 100;

/** The file decoded as training decodes it, stretched to size x size; null when it does not decode (most excluded files). */
export async function thumbnail(file: string, size: number): Promise<Thumb | null> {
  try {
    const img = await decodeRgb(file);
    return { width: size, height: size, rgb: Buffer.from(resizeImage(img, size, size, 'bilinear')).toString('base64') };
  } catch {
    return null;
  }
}

async function withThumbs(root: string, files: ExcludedFile[]): Promise<Array<ExcludedFile & { thumb: Thumb | null }>> {
  const out = [];
  for (const [i, f] of files.entries()) out.push({ ...f, thumb: i < MAX_THUMBS ? await thumbnail(path.join(root, f.path), 48) : null });
  return out;
}

/** The validator's verdicts on the data folder (what was left out and what was kept with a warning, with reasons). */
export async function writeDataReport(runDir: string, index: IndexResult): Promise<void> {
  const doc = {
    root: index.root, exclude: index.exclude, found: index.found,
    excluded: await withThumbs(index.root, index.excluded),
    keptWithWarning: await withThumbs(index.root, index.keptWithWarning),
  };
  await writeFileSynced(path.join(runDir, PAGE_FILES.dataReport), `${JSON.stringify(doc)}\n`);
}

export interface ScoredImage { entry: Entry; probabilities: number[] }

/** The model's class probabilities per image: [1 - p, p] for one sigmoid unit, the softmax otherwise. */
export function probabilitiesOf(outputs: Float32Array, n: number, numClasses: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    out.push(numClasses === 2 ? [1 - (outputs[i] as number), outputs[i] as number] : Array.from(outputs.subarray(i * numClasses, (i + 1) * numClasses)));
  }
  return out;
}

/** The validation images the model gets wrong, most confident first (the probability it gave the wrong class). */
export function mostConfidentlyWrong(scored: ScoredImage[], top: number): Array<ScoredImage & { predicted: number; confidence: number }> {
  const wrong = [];
  for (const s of scored) {
    let predicted = 0;
    for (let k = 1; k < s.probabilities.length; k++) if ((s.probabilities[k] as number) > (s.probabilities[predicted] as number)) predicted = k;
    if (predicted !== s.entry.label) wrong.push({ ...s, predicted, confidence: s.probabilities[predicted] as number });
  }
  return wrong.sort((a, b) => b.confidence - a.confidence || a.entry.path.localeCompare(b.entry.path)).slice(0, top);
}

export async function writeMistakes(runDir: string, dataDir: string, epoch: number, classNames: string[], scored: ScoredImage[], top = 12): Promise<void> {
  const worst = mostConfidentlyWrong(scored, top);
  const wrongCount = mostConfidentlyWrong(scored, Infinity).length;
  const items = [];
  for (const w of worst) {
    items.push({
      path: w.entry.path, truth: classNames[w.entry.label] ?? String(w.entry.label), predicted: classNames[w.predicted] ?? String(w.predicted),
      probabilities: w.probabilities, thumb: await thumbnail(path.join(dataDir, w.entry.path), 96),
    });
  }
  const doc = { epoch, classNames, images: scored.length, wrong: wrongCount, items };
  await writeFileSynced(path.join(runDir, PAGE_FILES.mistakes), `${JSON.stringify(doc)}\n`);
}
