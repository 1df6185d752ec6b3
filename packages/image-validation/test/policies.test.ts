import { promises as fsp } from 'node:fs';
import sharp from 'sharp';
import { inspect, POLICIES, type Policy } from '../src';
import * as fx from './fixtures';

/**
 * The README decision table: which policy flags which kind of file. Order of flags:
 * strict, jfif, verify, sniff, decode.
 */
const TABLE: Array<[string, string, () => Promise<Buffer> | Buffer, [number, number, number, number, number]]> = [
  ['clean JPEG', 'a.jpg', () => fx.jpeg(), [0, 0, 0, 0, 0]],
  ['empty file', 'b.jpg', () => Buffer.alloc(0), [1, 1, 1, 1, 1]],
  ['truncated JPEG', 'c.jpg', fx.truncatedJpeg, [1, 0, 0, 0, 1]],
  ['extraneous bytes', 'd.jpg', () => fx.extraneousJpeg(), [1, 0, 0, 0, 1]],
  ['PNG as .jpg', 'e.jpg', fx.png, [1, 1, 0, 0, 0]],
  ['WebP as .jpg', 'f.jpg', fx.webp, [1, 1, 0, 0, 0]],
  ['Exif-only JPEG', 'g.jpg', fx.exifOnlyJpeg, [0, 1, 0, 0, 0]],
  ['CMYK JPEG', 'h.jpg', fx.cmykJpeg, [0, 1, 0, 1, 0]],
  ['gigantic header', 'i.jpg', () => fx.claimsSize(60000, 60000), [1, 0, 1, 0, 1]],
  ['random bytes', 'j.jpg', () => fx.randomBytes(), [1, 1, 1, 1, 1]],
  ['Thumbs.db', 'Thumbs.db', fx.thumbsDb, [1, 1, 1, 1, 1]],
  ['TIFF', 'k.tiff', fx.tiff, [1, 1, 0, 0, 0]],
];

let dir: string;
beforeAll(async () => {
  dir = await fx.tmpDir('policies');
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

describe.each(TABLE)('%s', (_label, name, make, flags) => {
  test.each(POLICIES.map((p, i) => [p, flags[i] === 1] as [Policy, boolean]))('policy %s flags it: %s', async (policy, expected) => {
    const file = await fx.write(dir, `${policy}-${name}`, await make());
    const v = await inspect(file, { policy });
    expect(v.flagged).toBe(expected);
    expect(v.reason.length).toBeGreaterThan(0);
    expect(v.reason).not.toMatch(/\n/);
  });
});

describe('the jfif policy reproduces peek(10) returning the first 4096 bytes', () => {
  test('"JFIF" deep inside the first 4096 bytes passes; only after them it is flagged', async () => {
    const png = await fx.png();
    const early = Buffer.concat([png.subarray(0, 8), chunk('tEXt', Buffer.concat([Buffer.from('Comment\0'), Buffer.alloc(3000, 0x20), Buffer.from('JFIF')])), png.subarray(8)]);
    const late = Buffer.concat([png.subarray(0, 8), chunk('tEXt', Buffer.concat([Buffer.from('Comment\0'), Buffer.alloc(5000, 0x20), Buffer.from('JFIF')])), png.subarray(8)]);
    expect((await inspect(await fx.write(dir, 'early.png', early), { policy: 'jfif' })).flagged).toBe(false);
    expect((await inspect(await fx.write(dir, 'late.png', late), { policy: 'jfif' })).flagged).toBe(true);
  });
});

describe('the sniff policy is imghdr.what()', () => {
  test('a JPEG that starts FF D8 FF DB with no JFIF/Exif is still recognised', async () => {
    const bare = await sharp(fx.pixels(30, 20), { raw: { width: 30, height: 20, channels: 3 } }).jpeg().toBuffer();
    expect([...bare.subarray(0, 4)]).toEqual([0xff, 0xd8, 0xff, 0xdb]);
    expect((await inspect(await fx.write(dir, 'bare.jpg', bare), { policy: 'sniff' })).flagged).toBe(false);
  });
});

/** A PNG chunk with its CRC (so verify's CRC walk accepts it). */
function chunk(type: string, data: Buffer): Buffer {
  const { crc32 } = require('node:zlib') as typeof import('node:zlib');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
