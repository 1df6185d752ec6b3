/**
 * Walks the Huffman-coded data of a baseline (sequential) JPEG scan without doing the IDCT, to find
 * where the coded data really ends. libvips stops reading at the last scanline, so it never sees
 * what libjpeg reports at jpeg_finish_decompress(): "Corrupt JPEG data: N extraneous bytes before
 * marker 0xd9" (TensorFlow prints it for 12 Kaggle files). Decoding rules: ITU-T T.81 Annex F.2.2
 * (DECODE, RECEIVE) and F.1.2.2 (AC run/size symbols); byte stuffing and markers: B.1.1.5.
 */

export interface HuffmanTable {
  /**
   * 9-bit lookahead: for codes up to 9 bits, `total | (advance << 5) | (eob << 10)` where total is
   * code length plus the extra bits that follow, advance the coefficient steps and eob the
   * end-of-block flag; -1 when the code is longer (then the canonical tables below decide).
   */
  fast: Int32Array;
  maxcode: Int32Array; // per length 1..16, -1 when none
  valptr: Int32Array;
  mincode: Int32Array;
  values: Uint8Array;
  /** Set when the table is not a valid prefix code (libjpeg: "Bogus Huffman table definition"). */
  bogus: boolean;
}

const FAST_BITS = 9;

/** What a decoded symbol means: bits to skip after the code, coefficient steps, end of block. */
function symbolEntry(sym: number, dc: boolean): { extra: number; advance: number; eob: boolean } {
  if (dc) return { extra: sym & 31, advance: 1, eob: false };
  const run = sym >> 4;
  const size = sym & 15;
  if (size === 0) return run === 15 ? { extra: 0, advance: 16, eob: false } : { extra: 0, advance: 0, eob: true };
  return { extra: size, advance: run + 1, eob: false };
}

export function buildHuffmanTable(counts: Uint8Array, values: Uint8Array, dc: boolean): HuffmanTable {
  const maxcode = new Int32Array(18).fill(-1);
  const valptr = new Int32Array(17);
  const mincode = new Int32Array(17);
  const fast = new Int32Array(1 << FAST_BITS).fill(-1);
  let code = 0;
  let k = 0;
  let bogus = false;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1]!;
    valptr[len] = k;
    mincode[len] = code;
    for (let i = 0; i < n; i++, k++, code++) {
      if (len <= FAST_BITS) {
        const e = symbolEntry(values[k]!, dc);
        const entry = (len + e.extra) | (e.advance << 5) | (e.eob ? 1 << 10 : 0);
        const shift = FAST_BITS - len;
        const base = code << shift;
        for (let j = 0; j < 1 << shift; j++) fast[base + j] = entry;
      }
    }
    maxcode[len] = n > 0 ? code - 1 : -1;
    // A prefix code of this length cannot have more codes than 2^len (ITU-T T.81 C.2).
    if (code > 1 << len) bogus = true;
    code <<= 1;
  }
  return { fast, maxcode, valptr, mincode, values, bogus };
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
  /** Index of the first byte after the coded data (bytes in the bit buffer excluded). */
  end: number;
  /** Whole bytes left over in the bit buffer after the last block: junk inside the segment. */
  leftoverBytes: number;
  /** A problem that makes libjpeg warn or fail mid-scan: bad code, premature end, missing restart marker. */
  problem?: string;
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
 * Walks one baseline scan starting at `start` (the first byte after the SOS header): every
 * Huffman symbol of every block (ITU-T T.81 F.2.2), skipping the coefficient bits. Bits are read
 * MSB-first with FF 00 un-stuffed; at a marker (or the end of the file) zero bits are fed, as
 * libjpeg does, and counted in `phantom`: consuming them means the data ended early.
 * One function with local state: this loop is the hot path of the strict policy.
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
  const len = data.length;
  let pos = start;
  let buf = 0;
  let cnt = 0;
  let phantom = 0;
  let atMarker = false;
  const single = comps.length === 1;
  const total = single ? comps[0]!.blocksWide * comps[0]!.blocksHigh : mcusWide * mcusHigh;
  // Blocks of one MCU as (dc, ac) table pairs, in order.
  const order: HuffmanTable[] = [];
  for (const c of single ? [comps[0]!] : comps) for (let n = single ? 1 : c.h * c.v; n > 0; n--) order.push(c.dc, c.ac);
  const fail = (problem: string): ScanResult => ({ end: pos, leftoverBytes: 0, problem });
  let sinceRestart = 0;

  for (let m = 0; m < total; m++) {
    if (restartInterval > 0 && sinceRestart === restartInterval) {
      if (phantom > cnt) return fail('premature end of data segment');
      const leftover = cnt > phantom ? (cnt - phantom) >> 3 : 0;
      const { at, junk } = nextMarker(data, pos);
      const marker = data[at + 1];
      if (at >= len || marker === undefined || marker < 0xd0 || marker > 0xd7) return fail('restart marker missing: the coded data is corrupt');
      if (leftover + junk > 0) return fail(`${leftover + junk} extraneous bytes before restart marker 0x${marker.toString(16)}`);
      pos = at + 2;
      buf = 0;
      cnt = 0;
      phantom = 0;
      atMarker = false;
      sinceRestart = 0;
    }
    for (let o = 0; o < order.length; o += 2) {
      const dc = order[o]!;
      const ac = order[o + 1]!;
      let t = dc;
      let k = 0;
      for (;;) {
        if (cnt < 25) {
          // Refill to 25..32 bits.
          while (cnt <= 24) {
            let byte = 0;
            if (atMarker) phantom += 8;
            else if (pos >= len) {
              atMarker = true;
              phantom += 8;
            } else {
              byte = data[pos]!;
              if (byte !== 0xff) pos++;
              else {
                let p = pos + 1;
                while (p < len && data[p] === 0xff) p++; // fill bytes
                if (p < len && data[p] === 0x00) pos = p + 1;
                else {
                  pos = p - 1; // stay on the FF that starts the marker
                  atMarker = true;
                  phantom += 8;
                  byte = 0;
                }
              }
            }
            buf = (buf << 8) | byte;
            cnt += 8;
          }
        }
        let e = t.fast[(buf >>> (cnt - FAST_BITS)) & 0x1ff]!;
        if (e >= 0) {
          cnt -= e & 31;
        } else {
          // Longer codes: canonical decode (F.2.2.3), then the extra bits.
          let l = FAST_BITS + 1;
          let code = 0;
          for (; l <= 16; l++) {
            code = (buf >>> (cnt - l)) & ((1 << l) - 1);
            if (code <= t.maxcode[l]!) break;
          }
          if (l > 16) return fail('bad Huffman code');
          cnt -= l;
          const s = symbolEntry(t.values[t.valptr[l]! + code - t.mincode[l]!]!, t === dc);
          if (s.extra > 16) return fail('bad Huffman code');
          if (cnt < s.extra) {
            // At most 16 more bits are needed; cnt is at least 9 here, so whole bytes fit.
            while (cnt <= 24) {
              let byte = 0;
              if (atMarker || pos >= len) {
                atMarker = true;
                phantom += 8;
              } else {
                byte = data[pos]!;
                if (byte !== 0xff) pos++;
                else {
                  let p = pos + 1;
                  while (p < len && data[p] === 0xff) p++;
                  if (p < len && data[p] === 0x00) pos = p + 1;
                  else {
                    pos = p - 1;
                    atMarker = true;
                    phantom += 8;
                    byte = 0;
                  }
                }
              }
              buf = (buf << 8) | byte;
              cnt += 8;
            }
          }
          cnt -= s.extra;
          e = (s.advance << 5) | (s.eob ? 1 << 10 : 0);
        }
        if (t === dc) {
          t = ac;
          k = 1;
          continue;
        }
        if (e & (1 << 10)) break;
        k += (e >> 5) & 31;
        if (k >= 64) break;
      }
    }
    sinceRestart++;
    // Out of data: stop now rather than decode zeros for the rest of a (maybe gigantic) frame.
    if (atMarker && phantom > cnt) return fail('premature end of data segment');
  }
  if (phantom > cnt) return fail('premature end of data segment');
  return { end: pos, leftoverBytes: cnt > phantom ? (cnt - phantom) >> 3 : 0 };
}
