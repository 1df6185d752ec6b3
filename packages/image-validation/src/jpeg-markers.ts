import { exifTruncation } from './exif';
import { buildHuffmanTable, nextMarker, walkScan, type HuffmanTable, type ScanComponent } from './jpeg-entropy';

/** What the marker segments of a JPEG say (ITU-T T.81 Annex B; JFIF 1.02; Exif 2.3; Adobe TN 5116). */
export interface JpegInfo {
  width?: number;
  height?: number;
  components?: number;
  space?: string;
  jfif: boolean;
  exif: boolean;
  /** Why the Exif block is cut short, when it is (metadata only: the picture is unaffected). */
  exifTruncated?: string;
  progressive: boolean;
  /** The coded data was walked to its end (baseline Huffman scans only). */
  entropyChecked: boolean;
  /**
   * Every scan was walked and the frame is one libjpeg decodes without further checks (8-bit,
   * 1/3/4 components, sampling factors 1..4, at most 10 blocks per MCU, quantisation tables
   * defined): the walk then sees every error and warning a pixel decode would.
   */
  walkCovers: boolean;
  /** Reached the EOI marker. */
  complete: boolean;
  /** Structural damage: truncated header, bad Huffman code, premature end of data. */
  damage?: string;
  /** What libjpeg only warns about (TensorFlow decodes these files): junk bytes before a marker. */
  warning?: string;
}

interface FrameComponent { id: number; h: number; v: number }

const u16 = (d: Uint8Array, at: number) => (d[at]! << 8) | d[at + 1]!;
const hex = (m: number) => `0x${m.toString(16).padStart(2, '0')}`;
const isSOF = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/**
 * Parses a JPEG's marker segments. With `walkEntropy` it also follows each baseline scan's coded
 * data to its end (the checks libjpeg only makes in jpeg_finish_decompress); without it, it stops at
 * the first scan, which is what a header check (Pillow's open/verify) reads.
 */
export function parseJpeg(data: Uint8Array, walkEntropy: boolean): JpegInfo {
  const info: JpegInfo = { jfif: false, exif: false, progressive: false, entropyChecked: false, walkCovers: false, complete: false };
  const quantTables = new Set<number>();
  let frameTables: number[] = [];
  let precision = 0;
  let unwalked = 0;
  let walked = 0;
  const dc = new Map<number, HuffmanTable>();
  const ac = new Map<number, HuffmanTable>();
  let frame: FrameComponent[] = [];
  let huffmanSequential = false;
  let adobeTransform: number | undefined;
  let restartInterval = 0;
  let sawScan = false;
  let pos = 2;
  let junkBefore = 0;
  for (;;) {
    const { at, junk } = nextMarker(data, pos);
    junkBefore += junk;
    if (at >= data.length) {
      if (!info.damage) info.damage = sawScan ? 'premature end of JPEG file (no end-of-image marker)' : 'truncated before the image data';
      break;
    }
    const m = data[at + 1]!;
    if (junkBefore > 0 && !info.warning) info.warning = `Corrupt JPEG data: ${junkBefore} extraneous bytes before marker ${hex(m)}`;
    junkBefore = 0;
    pos = at + 2;
    if (m === 0xd9) {
      info.complete = true;
      break;
    }
    if ((m >= 0xd0 && m <= 0xd7) || m === 0x01) continue;
    if (pos + 2 > data.length) {
      info.damage = 'truncated inside a marker segment';
      break;
    }
    const len = u16(data, pos);
    if (len < 2 || pos + len > data.length) {
      info.damage = `truncated inside marker ${hex(m)}`;
      break;
    }
    const seg = data.subarray(pos + 2, pos + len);
    pos += len;
    const tag = (s: string) => Buffer.from(seg.buffer, seg.byteOffset, Math.min(seg.length, s.length)).toString('latin1') === s;
    if (m === 0xe0 && tag('JFIF\0')) info.jfif = true;
    else if (m === 0xe1 && tag('Exif\0')) {
      info.exif = true;
      info.exifTruncated ??= exifTruncation(seg.subarray(6));
    }
    else if (m === 0xee && tag('Adobe') && seg.length >= 12) adobeTransform = seg[11];
    else if (isSOF(m)) {
      if (seg.length < 6) return { ...info, damage: 'short frame header' };
      info.height = u16(seg, 1);
      info.width = u16(seg, 3);
      const n = seg[5]!;
      frame = [];
      frameTables = [];
      precision = seg[0]!;
      for (let i = 0; i < n && 8 + i * 3 < seg.length; i++) {
        const hv = seg[7 + i * 3]!;
        frame.push({ id: seg[6 + i * 3]!, h: hv >> 4, v: hv & 15 });
        frameTables.push(seg[8 + i * 3]!);
      }
      info.components = n;
      info.progressive = m === 0xc2 || m === 0xc6 || m === 0xca || m === 0xce;
      huffmanSequential = m === 0xc0 || m === 0xc1;
    } else if (m === 0xc4) {
      let p = 0;
      while (p + 17 <= seg.length) {
        const tcth = seg[p]!;
        const counts = seg.subarray(p + 1, p + 17);
        let total = 0;
        for (const c of counts) total += c;
        if (p + 17 + total > seg.length) return { ...info, damage: 'bad Huffman table' };
        if (total > 256) return { ...info, damage: 'bad Huffman table' };
        const table = buildHuffmanTable(counts, seg.subarray(p + 17, p + 17 + total), tcth >> 4 === 0);
        if (table.bogus) return { ...info, damage: 'bogus Huffman table definition' };
        (tcth >> 4 === 0 ? dc : ac).set(tcth & 15, table);
        p += 17 + total;
      }
    } else if (m === 0xdb) {
      // DQT: 1-byte precision/id, then 64 or 128 bytes per table (T.81 B.2.4.1).
      for (let p = 0; p < seg.length; p += 1 + (seg[p]! >> 4 ? 128 : 64)) quantTables.add(seg[p]! & 15);
    } else if (m === 0xdd && seg.length >= 2) {
      restartInterval = u16(seg, 0);
    } else if (m === 0xda) {
      sawScan = true;
      if (!walkEntropy) break;
      if (frame.length === 0 || !info.width || !info.height) return { ...info, damage: 'image data before the frame header' };
      const ns = seg[0] ?? 0;
      const ss = seg[1 + ns * 2];
      const se = seg[2 + ns * 2];
      const baseline = huffmanSequential && ss === 0 && se === 63;
      if (!baseline || frame.some((c) => c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4)) {
        unwalked++;
        pos = skipCodedData(data, pos);
        continue;
      }
      const hmax = Math.max(...frame.map((c) => c.h));
      const vmax = Math.max(...frame.map((c) => c.v));
      const comps: ScanComponent[] = [];
      for (let i = 0; i < ns; i++) {
        const fc = frame.find((c) => c.id === seg[1 + i * 2]);
        const tables = seg[2 + i * 2]!;
        const dcT = dc.get(tables >> 4);
        const acT = ac.get(tables & 15);
        if (!fc || !dcT || !acT) return { ...info, damage: 'scan refers to a missing component or Huffman table' };
        comps.push({
          h: fc.h,
          v: fc.v,
          blocksWide: Math.ceil(Math.ceil((info.width * fc.h) / hmax) / 8),
          blocksHigh: Math.ceil(Math.ceil((info.height * fc.v) / vmax) / 8),
          dc: dcT,
          ac: acT,
        });
      }
      const res = walkScan(data, pos, comps, Math.ceil(info.width / (8 * hmax)), Math.ceil(info.height / (8 * vmax)), restartInterval);
      if (res.problem) {
        if (res.problem.includes('extraneous')) {
          info.warning ??= `Corrupt JPEG data: ${res.problem}`;
          pos = skipCodedData(data, pos);
          continue;
        }
        info.damage = `corrupt image data: ${res.problem}`;
        break;
      }
      info.entropyChecked = true;
      walked++;
      junkBefore = res.leftoverBytes;
      pos = res.end;
    }
  }
  const n = info.components;
  const blocksPerMcu = frame.length === 1 ? 1 : frame.reduce((a, c) => a + c.h * c.v, 0);
  info.walkCovers =
    info.complete && walked > 0 && unwalked === 0 && precision === 8 && (n === 1 || n === 3 || n === 4) &&
    blocksPerMcu <= 10 && frameTables.every((t) => quantTables.has(t)) && !!info.width && !!info.height;
  if (n === 1) info.space = 'b-w';
  else if (n === 3) info.space = adobeTransform === 0 ? 'rgb' : 'srgb';
  else if (n === 4) info.space = adobeTransform === 2 ? 'ycck' : 'cmyk';
  return info;
}

/** Skips coded data we do not walk (progressive, arithmetic): up to the next marker that is not RSTn. */
function skipCodedData(data: Uint8Array, pos: number): number {
  let p = pos;
  for (;;) {
    const { at } = nextMarker(data, p);
    if (at >= data.length) return at;
    const m = data[at + 1]!;
    if (m >= 0xd0 && m <= 0xd7) {
      p = at + 2;
      continue;
    }
    return at;
  }
}
