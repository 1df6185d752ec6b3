/** A tiny element builder: el('td', { class: 'x' }, 'text', child). Text is always set as text, never HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string | null>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null) e.append(c);
  return e;
}

export const fmt = (x: number | undefined, d = 4): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
