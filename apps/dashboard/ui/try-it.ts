import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import './inference-layers';

export interface ModelInfo { url: string; classNames: string[]; imageSize: [number, number]; epoch: number }
export interface BrowserPrediction { classes: Array<{ name: string; probability: number }>; sentence: string; backend: string }

let backendReady: Promise<string> | null = null;

/**
 * webgl, else wasm (its .wasm files are served from this package: nothing from a CDN). `?backend=`
 * in the page's URL forces one.
 */
export function initBackend(): Promise<string> {
  backendReady ??= (async () => {
    setWasmPaths('/static/wasm/');
    const forced = new URLSearchParams(location.search).get('backend');
    for (const name of forced ? [forced] : ['webgl', 'wasm']) {
      try {
        if (await tf.setBackend(name)) {
          await tf.ready();
          return name;
        }
      } catch { /* next one */ }
    }
    await tf.setBackend('cpu');
    return 'cpu';
  })();
  return backendReady;
}

const models = new Map<string, Promise<tf.LayersModel>>();

export function loadModel(url: string): Promise<tf.LayersModel> {
  let m = models.get(url);
  if (!m) {
    m = tf.loadLayersModel(url);
    models.set(url, m);
    m.catch(() => models.delete(url));
  }
  return m;
}

export function forgetModel(url: string): void {
  const m = models.get(url);
  models.delete(url);
  void m?.then((x) => x.dispose(), () => undefined);
}

/**
 * The pixels `pawpipe predict` feeds the model: the file decoded as stored (no colour-profile
 * conversion, no premultiplied alpha, alpha dropped), resized by stretching with TensorFlow's
 * bilinear (half-pixel centres, no antialiasing: Keras' resize), rounded half up to uint8 as
 * data-pipeline's resize does, then given to the model as float32 0..255 (it rescales itself).
 */
export async function prepareImage(blob: Blob, imageSize: [number, number]): Promise<tf.Tensor4D> {
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  try {
    return tf.tidy(() => {
      const rgb = tf.browser.fromPixels(bitmap, 3).toFloat();
      const resized = tf.image.resizeBilinear(rgb as tf.Tensor3D, imageSize, false, true);
      const u8 = tf.clipByValue(tf.floor(tf.add(resized, 0.5)), 0, 255);
      return u8.expandDims(0) as tf.Tensor4D;
    });
  } finally {
    bitmap.close();
  }
}

/** The Keras example's sentence, as apps/cli's `sentence()` writes it. */
export function sentenceOf(classes: Array<{ name: string; probability: number }>, classNames: string[], top = 3): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)} percent `;
  const parts = classNames.length === 2
    ? classNames.map((n) => `${pct(classes.find((c) => c.name === n)?.probability ?? 0)}${n.toLowerCase()}`)
    : classes.slice(0, top).map((c) => `${pct(c.probability)}${c.name.toLowerCase()}`);
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  return `This image is ${list}.`;
}

export async function predictBlob(blob: Blob, info: ModelInfo): Promise<BrowserPrediction> {
  const backend = await initBackend();
  const model = await loadModel(info.url);
  const x = await prepareImage(blob, info.imageSize);
  const out = model.predict(x) as tf.Tensor;
  const probs = Array.from(await out.data());
  x.dispose();
  out.dispose();
  // Two classes: one sigmoid unit, P(second class), as in the Keras example.
  const p = info.classNames.length === 2 ? [1 - (probs[0] as number), probs[0] as number] : probs;
  const classes = info.classNames.map((name, i) => ({ name, probability: p[i] as number })).sort((a, b) => b.probability - a.probability);
  return { classes, sentence: sentenceOf(classes, info.classNames), backend };
}
