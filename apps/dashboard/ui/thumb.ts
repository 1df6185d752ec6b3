import type { Thumb } from './types';
import { el } from './dom';

/** Draw the evaluator's raw-RGB thumbnail into a canvas (no image files need serving from outside --runs). */
export function thumbCanvas(t: Thumb | null | undefined, label: string): HTMLElement {
  if (!t) return el('div', { class: 'thumb none', title: label }, 'no picture');
  const c = el('canvas', { class: 'thumb', width: String(t.width), height: String(t.height), title: label });
  const ctx = c.getContext('2d');
  if (!ctx) return c;
  const bytes = Uint8Array.from(atob(t.rgb), (ch) => ch.charCodeAt(0));
  const img = ctx.createImageData(t.width, t.height);
  for (let i = 0, j = 0; i < bytes.length; i += 3, j += 4) {
    img.data[j] = bytes[i] as number;
    img.data[j + 1] = bytes[i + 1] as number;
    img.data[j + 2] = bytes[i + 2] as number;
    img.data[j + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  return c;
}
