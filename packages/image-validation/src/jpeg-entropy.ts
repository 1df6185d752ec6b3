/**
 * Walks the Huffman-coded data of a baseline (sequential) JPEG scan without doing the IDCT, to find
 * where the coded data really ends. libvips stops reading at the last scanline, so it never sees
 * what libjpeg reports at jpeg_finish_decompress(): "Corrupt JPEG data: N extraneous bytes before
 * marker 0xd9" (TensorFlow prints it for 12 Kaggle files). Decoding rules: ITU-T T.81 Annex F.2.2
 * (DECODE, RECEIVE) and F.1.2.2 (AC run/size symbols); byte stuffing and markers: B.1.1.5.
 */

export interface HuffmanTable {
  /** 9-bit fast lookup: (symbol << 4) | length, or -1 when the code is longer than 9 bits. */
  fast: Int32Array;
  maxcode: Int32Array; // per length 1..16, -1 when none
  valptr: Int32Array;
  mincode: Int32Array;
  values: Uint8Array;
}

const FAST_BITS = 9;

export function buildHuffmanTable(counts: Uint8Array, values: Uint8Array): HuffmanTable {
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  const fast = new Int32Array(1 << FAST_BITS).fill(-1);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1]!;
    valptr[len] = k;
    mincode[len] = code;
    for (let i = 0; i < n; i++, k++, code++) {
      if (len <= FAST_BITS) {
        const shift = FAST_BITS - len;
        const base = code << shift;
        for (let j = 0; j < 1 << shift; j++) fast[base + j] = (values[k]! << 4) | len;
      }
    }
    maxcode[len] = n > 0 ? code - 1 : -1;
    code <<= 1;
  }
  return { fast, maxcode, valptr, mincode, values };
}

export interface ScanComponent {
  /** Horizontal and vertical sampling factors. */
  h: number;
  v: number;
  /** Blocks per line / per column when the scan is not interleaved. */
  blocksWide: number;
  blocksHigh: number;
  dc: HuffmanTable;
  ac: HuffmanTable;
}

export interface ScanResult {
  /** Index of the first byte after the coded data (bytes in libjpeg's bit buffer excluded). */
  end: number;
  /** Whole bytes left over in the bit buffer after the last block: junk inside the segment. */
  leftoverBytes: number;
  /** A problem that makes libjpeg warn mid-scan: bad code, premature end, missing restart marker. */
  problem?: string;
}

/** Reads bits MSB-first, un-stuffing FF 00 and stopping at markers (then feeding zeros, like libjpeg). */
class BitReader {
  pos: number;
  buf = 0;
  cnt = 0;
  /** Zero bits fed after a marker or the end of the file; consuming them means premature end. */
  phantom = 0;
  atMarker = false;

  constructor(private readonly data: Uint8Array, start: number) {
    this.pos = start;
  }

  fill(): void {
    const d = this.data;
    while (this.cnt <= 24) {
      let byte = 0;
      if (!this.atMarker) {
        if (this.pos >= d.length) {
          this.atMarker = true;
        } else {
          byte = d[this.pos]!;
          if (byte === 0xff) {
            let p = this.pos + 1;
            while (p < d.length && d[p] === 0xff) p++; // fill bytes
            if (p < d.length && d[p] === 0x00) {
              this.pos = p + 1;
            } else {
              this.pos = p - 1; // leave pos on the FF that starts the marker
              this.atMarker = true;
              byte = 0;
            }
          } else {
            this.pos++;
          }
        }
      }
      if (this.atMarker) this.phantom += 8;
      this.buf = (this.buf << 8) | byte;
      this.cnt += 8;
    }
  }

  /** Phantom bits already consumed: the scan needed more data than the segment had. */
  ranDry(): boolean {
    return this.phantom > this.cnt;
  }

  skip(n: number): void {
    if (this.cnt < 25) this.fill();
    this.cnt -= n;
  }

  decode(t: HuffmanTable): number {
    if (this.cnt < 25) this.fill();
    const look = (this.buf >>> (this.cnt - FAST_BITS)) & ((1 << FAST_BITS) - 1);
    const f = t.fast[look]!;
    if (f >= 0) {
      this.cnt -= f & 15;
      return f >> 4;
    }
    for (let len = FAST_BITS + 1; len <= 16; len++) {
      const code = (this.buf >>> (this.cnt - len)) & ((1 << len) - 1);
      if (code <= t.maxcode[len]!) {
        this.cnt -= len;
        return t.values[t.valptr[len]! + code - t.mincode[len]!]!;
      }
    }
    return -1;
  }

  /** Drops the bits of the current byte, for a restart marker or the end of the scan. */
  alignedLeftoverBytes(): number {
    const real = Math.max(0, this.cnt - this.phantom);
    return Math.floor(real / 8);
  }

  reset(pos: number): void {
    this.pos = pos;
    this.buf = 0;
    this.cnt = 0;
    this.phantom = 0;
    this.atMarker = false;
  }
}

function decodeBlock(r: BitReader, c: ScanComponent): boolean {
  const s = r.decode(c.dc);
  if (s < 0 || s > 16) return false;
  if (s) r.skip(s);
  for (let k = 1; k < 64; ) {
    const rs = r.decode(c.ac);
    if (rs < 0) return false;
    const run = rs >> 4;
    const size = rs & 15;
    if (size === 0) {
      if (run !== 15) break; // EOB
      k += 16;
    } else {
      k += run;
      r.skip(size);
      k++;
    }
  }
  return true;
}

/** Finds the next marker from `pos`: returns its position and how many junk bytes came before it. */
export function nextMarker(data: Uint8Array, pos: number): { at: number; junk: number } {
  let junk = 0;
  let p = pos;
  for (;;) {
    while (p < data.length && data[p] !== 0xff) {
      p++;
      junk++;
    }
    if (p >= data.length) return { at: data.length, junk };
    let q = p + 1;
    while (q < data.length && data[q] === 0xff) q++;
    if (q >= data.length) return { at: data.length, junk };
    if (data[q] === 0x00) {
      junk += q - p + 1;
      p = q + 1;
      continue;
    }
    return { at: q - 1, junk };
  }
}

/**
 * Walks one baseline scan starting at `start` (the first byte after the SOS header).
 * `mcusWide`/`mcusHigh` describe the interleaved MCU grid (used when components.length > 1).
 */
export function walkScan(
  data: Uint8Array,
  start: number,
  comps: ScanComponent[],
  mcusWide: number,
  mcusHigh: number,
  restartInterval: number,
): ScanResult {
  const r = new BitReader(data, start);
  const single = comps.length === 1;
  const total = single ? comps[0]!.blocksWide * comps[0]!.blocksHigh : mcusWide * mcusHigh;
  let sinceRestart = 0;
  for (let m = 0; m < total; m++) {
    if (restartInterval > 0 && sinceRestart === restartInterval) {
      if (r.ranDry()) return { end: r.pos, leftoverBytes: 0, problem: 'premature end of data segment' };
      const leftover = r.alignedLeftoverBytes();
      const { at, junk } = nextMarker(data, r.pos);
      const marker = data[at + 1];
      if (at >= data.length || marker === undefined || marker < 0xd0 || marker > 0xd7) {
        return { end: r.pos, leftoverBytes: 0, problem: 'restart marker missing: the coded data is corrupt' };
      }
      if (leftover + junk > 0) {
        return { end: r.pos, leftoverBytes: 0, problem: `${leftover + junk} extraneous bytes before restart marker 0x${marker.toString(16)}` };
      }
      r.reset(at + 2);
      sinceRestart = 0;
    }
    if (single) {
      if (!decodeBlock(r, comps[0]!)) return { end: r.pos, leftoverBytes: 0, problem: 'bad Huffman code' };
    } else {
      for (const c of comps) {
        for (let b = c.h * c.v; b > 0; b--) {
          if (!decodeBlock(r, c)) return { end: r.pos, leftoverBytes: 0, problem: 'bad Huffman code' };
        }
      }
    }
    sinceRestart++;
    // Out of data: stop now rather than decode zeros for the rest of a (maybe gigantic) frame.
    if (r.atMarker && r.ranDry()) return { end: r.pos, leftoverBytes: 0, problem: 'premature end of data segment' };
  }
  if (r.ranDry()) return { end: r.pos, leftoverBytes: 0, problem: 'premature end of data segment' };
  return { end: r.pos, leftoverBytes: r.alignedLeftoverBytes() };
}
