import { promises as fsp } from 'node:fs';
import sharp from 'sharp';
import { drawPicture } from './draw';
import { withJfif } from './jpeg-bytes';
import { Rng } from './rng';
import { SHAPES } from './shapes';

/** One picture to make: its class (shape index), number, and where it goes. */
export interface PictureJob {
  seed: number;
  classSeed: number;
  cls: number;
  n: number;
  file: string;
}

/** Draws, encodes (JFIF JPEG, quality 80..95) and writes one picture; same bytes on any thread. */
export async function makePicture(job: PictureJob): Promise<void> {
  const rng = new Rng(job.seed, job.classSeed, job.cls, job.n);
  const pic = drawPicture(SHAPES[job.cls]!, rng);
  const jpeg = await sharp(pic.rgb, { raw: { width: pic.width, height: pic.height, channels: 3 } })
    .jpeg({ quality: rng.int(80, 95) })
    .toBuffer();
  await fsp.writeFile(job.file, withJfif(jpeg));
}
