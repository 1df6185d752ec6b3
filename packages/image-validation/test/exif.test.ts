import { promises as fsp } from 'node:fs';
import sharp from 'sharp';
import { PassThrough } from 'node:stream';
import * as path from 'node:path';
import { inspect, runValidate } from '../src';
import { exifTruncation } from '../src/exif';
import { pixels, tmpDir, write } from './fixtures';

// A JPEG whose Exif block is cut short but whose image data is complete: ok, with a note.

/** A little-endian TIFF structure: IFD0 with `entries` (tag, type, count, value/offset), then `tail`. */
function tiff(entries: [number, number, number, number][], tail: Buffer = Buffer.alloc(0), next = 0): Buffer {
  const b = Buffer.alloc(8 + 2 + entries.length * 12 + 4);
  b.write('II*\0', 0, 'latin1');
  b.writeUInt32LE(8, 4);
  b.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, count, value], i) => {
    const e = 10 + i * 12;
    b.writeUInt16LE(tag, e);
    b.writeUInt16LE(type, e + 2);
    b.writeUInt32LE(count, e + 4);
    b.writeUInt32LE(value, e + 8);
  });
  b.writeUInt32LE(next, 10 + entries.length * 12);
  return Buffer.concat([b, tail]);
}

/** The TIFF structure as a JPEG APP1 Exif segment, inserted after SOI. */
function withExif(jpeg: Buffer, t: Buffer): Buffer {
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(2 + 6 + t.length, 2);
  return Buffer.concat([jpeg.subarray(0, 2), head, Buffer.from('Exif\0\0', 'latin1'), t, jpeg.subarray(2)]);
}

const ORIENTATION: [number, number, number, number] = [0x0112, 3, 1, 1];
// "Canon" as the Make (ASCII, 6 bytes: more than fit in the entry, so stored at an offset).
const sound = () => tiff([ORIENTATION, [0x010f, 2, 6, 8 + 2 + 24 + 4]], Buffer.from('Canon\0', 'latin1'));

describe('exifTruncation', () => {
  it('passes a sound Exif block', () => {
    expect(exifTruncation(sound())).toBeUndefined();
  });

  it('finds each way an Exif block is cut short', () => {
    const s = sound();
    expect(exifTruncation(s.subarray(0, s.length - 3))).toBe('the value of IFD0 tag 0x010f ends at byte 44, past the end of the 41-byte Exif block');
    expect(exifTruncation(s.subarray(0, 20))).toBe('IFD0 (2 entries) ends at byte 34, past the end of the 20-byte Exif block');
    expect(exifTruncation(s.subarray(0, 36))).toBe("IFD0's link to the next IFD ends at byte 38, past the end of the 36-byte Exif block");
    expect(exifTruncation(s.subarray(0, 5))).toBe('the TIFF header is cut short (5 of 8 bytes)');
    expect(exifTruncation(tiff([ORIENTATION, [0x8769, 4, 1, 400]]))).toBe('Exif IFD ends at byte 402, past the end of the 38-byte Exif block');
    expect(exifTruncation(tiff([ORIENTATION], Buffer.alloc(0), 90))).toBe('IFD1 ends at byte 92, past the end of the 26-byte Exif block');
  });
});

describe('inspect', () => {
  let dir: string;
  let jpeg: Buffer;
  beforeAll(async () => {
    dir = await tmpDir('exif');
    jpeg = await sharp(pixels(64, 48), { raw: { width: 64, height: 48, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  });
  afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

  it('keeps a JPEG with truncated Exif as ok, and says so in a note', async () => {
    const s = sound();
    const file = await write(dir, 'cut.jpg', withExif(jpeg, s.subarray(0, s.length - 3)));
    for (const opts of [{}, { pixels: true }, { policy: 'decode' as const }]) {
      const v = await inspect(file, opts);
      expect(v).toMatchObject({ category: 'ok', flagged: false, facts: { exif: true, width: 64, height: 48 } });
      expect(v.note).toBe('Exif metadata is truncated (the value of IFD0 tag 0x010f ends at byte 44, past the end of the 41-byte Exif block); the image data is complete, so it trains as it is');
    }
  });

  it('validate-images lists the note, exits 0 when nothing is flagged, and the JSON report carries it', async () => {
    const s = sound();
    const folder = path.join(dir, 'cli');
    await write(folder, 'Cat/cut.jpg', withExif(jpeg, s.subarray(0, s.length - 3)));
    await write(folder, 'Cat/fine.jpg', jpeg);
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const json = path.join(dir, 'report.json');
    const code = await runValidate({ dir: folder, policy: 'strict', delete: false, yes: false, cache: false, pixels: false, json }, out);
    expect(code).toBe(0);
    expect(text).toContain('  note                  Cat/cut.jpg: Exif metadata is truncated (the value of IFD0 tag 0x010f');
    const report = JSON.parse(await fsp.readFile(json, 'utf8'));
    expect(report.entries.find((e: { path: string }) => e.path === 'Cat/cut.jpg').note).toMatch(/^Exif metadata is truncated/);
  });

  it('has no note for sound Exif', async () => {
    const v = await inspect(await write(dir, 'sound.jpg', withExif(jpeg, sound())));
    expect(v.category).toBe('ok');
    expect(v.note).toBeUndefined();
  });

  it('a truncated JPEG with truncated Exif is still damaged, with the note', async () => {
    const whole = withExif(jpeg, sound().subarray(0, 20));
    const v = await inspect(await write(dir, 'both.jpg', whole.subarray(0, Math.floor(whole.length * 0.7))));
    expect(v.category).toBe('damaged');
    expect(v.note).toMatch(/^Exif metadata is truncated \(IFD0 \(2 entries\)/);
  });
});
