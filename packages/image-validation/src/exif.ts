/**
 * Whether a JPEG's Exif block (the TIFF structure inside APP1 after "Exif\0\0") is cut short:
 * an IFD, a tag's value or a linked IFD lying past the end of the segment. Exif 2.3 section 4.6;
 * TIFF 6.0 section 2. Decoders skip such metadata (Pillow: "Possibly corrupt EXIF data") and the
 * picture itself is unaffected, so this is a note on the verdict, not a category.
 */

/** TIFF field types -> bytes per value (TIFF 6.0 section 2, plus Exif's). */
const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8 };
/** Tags whose value is the offset of another IFD: Exif, GPS, Interoperability. */
const IFD_POINTERS = new Set([0x8769, 0x8825, 0xa005]);
const IFD_NAMES: Record<number, string> = { 0x8769: 'Exif IFD', 0x8825: 'GPS IFD', 0xa005: 'Interoperability IFD' };

/** Returns why the Exif data is truncated, or undefined when its structure fits in the segment. */
export function exifTruncation(tiff: Uint8Array): string | undefined {
  const n = tiff.length;
  if (n < 8) return `the TIFF header is cut short (${n} of 8 bytes)`;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return undefined; // not TIFF-structured: not ours to judge
  const u16 = (at: number) => (little ? tiff[at]! | (tiff[at + 1]! << 8) : (tiff[at]! << 8) | tiff[at + 1]!);
  const u32 = (at: number) =>
    little ? (tiff[at]! | (tiff[at + 1]! << 8) | (tiff[at + 2]! << 16)) + tiff[at + 3]! * 0x1000000 : tiff[at]! * 0x1000000 + ((tiff[at + 1]! << 16) | (tiff[at + 2]! << 8) | tiff[at + 3]!);
  const past = (what: string, end: number) => `${what} ends at byte ${end}, past the end of the ${n}-byte Exif block`;

  const seen = new Set<number>();
  const queue: Array<[offset: number, name: string]> = [[u32(4), 'IFD0']];
  while (queue.length > 0) {
    const [at, name] = queue.shift()!;
    if (at === 0 || seen.has(at)) continue;
    seen.add(at);
    if (at + 2 > n) return past(name, at + 2);
    const count = u16(at);
    const end = at + 2 + count * 12 + 4;
    if (end - 4 > n) return past(`${name} (${count} entries)`, end - 4);
    if (end > n) return past(`${name}'s link to the next IFD`, end);
    for (let i = 0; i < count; i++) {
      const e = at + 2 + i * 12;
      const tag = u16(e);
      const size = (TYPE_SIZE[u16(e + 2)] ?? 0) * u32(e + 4);
      if (size > 4 && u32(e + 8) + size > n) return past(`the value of ${name} tag 0x${tag.toString(16).padStart(4, '0')}`, u32(e + 8) + size);
      if (IFD_POINTERS.has(tag)) queue.push([u32(e + 8), IFD_NAMES[tag]!]);
    }
    // IFD0 links to IFD1 (the thumbnail).
    if (name === 'IFD0') queue.push([u32(end - 4), 'IFD1']);
  }
  return undefined;
}
