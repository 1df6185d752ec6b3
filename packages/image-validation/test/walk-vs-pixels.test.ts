import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { inspect } from '../src';
import { decodeAll } from '../src/decode';
import * as fx from './fixtures';

/**
 * strict skips libvips' pixel decode for JPEGs its bitstream walk covers. This checks the claim
 * behind that on corrupted files: whatever a full libvips pixel decode flags, the walk flags too
 * (the walk also finds what libvips never reports, e.g. junk before the end marker).
 */
let dir: string;
beforeAll(async () => {
  dir = await fx.tmpDir('walk');
});
afterAll(() => fsp.rm(dir, { recursive: true, force: true }));

test('on 240 corrupted JPEGs the walk flags everything a libvips pixel decode flags, and more', async () => {
  const sources = [await fx.jpeg({ w: 200, h: 150, seed: 3 }), await fx.jpeg({ w: 96, h: 64, seed: 4 }), await fx.greyJpeg(), await fx.cmykJpeg()];
  let s = 2024;
  const rnd = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  let pixelFlags = 0;
  let walkOnly = 0;
  for (let t = 0; t < 240; t++) {
    const src = sources[t % sources.length]!;
    const header = src.indexOf(Buffer.from([0xff, 0xda])) + 14; // past the scan header
    const b = Buffer.from(src);
    let data: Buffer = b;
    if (t % 3 === 0) {
      for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) b[header + Math.floor(rnd() * (b.length - header - 2))]! ^= 1 << Math.floor(rnd() * 8);
    } else if (t % 3 === 1) {
      data = b.subarray(0, header + Math.floor(rnd() * (b.length - header)));
    } else {
      b[header + Math.floor(rnd() * (b.length - header - 2))] = Math.floor(rnd() * 256);
    }
    const file = await fx.write(dir, `${t}.jpg`, data);
    const walk = await inspect(file, { policy: 'strict' });
    const pixels = await decodeAll(data, 'jpeg', 1e8);
    if (!pixels.ok) {
      pixelFlags++;
      expect({ file: path.basename(file), walk: walk.flagged, libvips: pixels.message }).toEqual({ file: path.basename(file), walk: true, libvips: pixels.message });
    } else if (walk.flagged) walkOnly++;
  }
  // The corpus must exercise both sides, or the check above proves nothing.
  expect(pixelFlags).toBeGreaterThan(50);
  expect(walkOnly).toBeGreaterThan(0);
});
