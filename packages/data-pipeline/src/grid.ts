/**
 * A titled grid of images as a PNG, like the tutorial's matplotlib figures (3x3 subplots, a
 * title over each, no axes). sharp composes the tiles; titles are SVG text rendered by librsvg.
 */
import sharp from 'sharp';

export interface GridTile {
  /** Interleaved RGB uint8. */
  rgb: Uint8Array;
  width: number;
  height: number;
  title?: string;
}

export interface GridOptions {
  columns?: number;
  /** Displayed width of each tile in pixels (images are scaled up or down to it). */
  tileWidth?: number;
  /** A line above the whole grid. */
  heading?: string;
}

const PAD = 14;
const TITLE_H = 30;
const HEADING_H = 40;
const FONT = "DejaVu Sans, Helvetica, Arial, sans-serif";

export async function renderGrid(tiles: GridTile[], opts: GridOptions = {}): Promise<Buffer> {
  if (tiles.length === 0) throw new RangeError('renderGrid: no tiles');
  const cols = Math.min(opts.columns ?? 3, tiles.length);
  const rows = Math.ceil(tiles.length / cols);
  const tw = opts.tileWidth ?? 224;
  const first = tiles[0]!;
  const th = Math.round((tw * first.height) / first.width);
  const top = opts.heading ? HEADING_H : 0;
  const width = PAD + cols * (tw + PAD);
  const height = top + PAD + rows * (TITLE_H + th + PAD);

  const layers: sharp.OverlayOptions[] = [];
  const texts: string[] = [];
  for (let i = 0; i < tiles.length; i++) {
    const t = tiles[i]!;
    const col = i % cols;
    const row = Math.floor(i / cols);
    const left = PAD + col * (tw + PAD);
    const y = top + PAD + row * (TITLE_H + th + PAD);
    const scaled = await sharp(Buffer.from(t.rgb.buffer, t.rgb.byteOffset, t.rgb.length), { raw: { width: t.width, height: t.height, channels: 3 } })
      .resize(tw, th, { fit: 'fill', kernel: tw >= t.width ? 'mitchell' : 'lanczos3' })
      .png()
      .toBuffer();
    layers.push({ input: scaled, left, top: y + TITLE_H });
    if (t.title) {
      texts.push(
        `<text x="${left + tw / 2}" y="${y + TITLE_H - 9}" text-anchor="middle" font-family="${FONT}" font-size="17" fill="#1a1a1a">${escapeXml(t.title)}</text>`,
      );
    }
  }
  if (opts.heading) {
    texts.push(
      `<text x="${width / 2}" y="${HEADING_H - 8}" text-anchor="middle" font-family="${FONT}" font-size="20" font-weight="bold" fill="#1a1a1a">${escapeXml(opts.heading)}</text>`,
    );
  }
  if (texts.length > 0) {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${texts.join('')}</svg>`;
    layers.push({ input: Buffer.from(svg), left: 0, top: 0 });
  }
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(layers)
    .png()
    .toBuffer();
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
