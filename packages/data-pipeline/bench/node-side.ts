/**
 * One benchmark pass of this package: epoch 0 decodes (cache empty), later epochs come from the
 * in-memory cache; every training batch is flipped and rotated (RandomFlip('horizontal'),
 * RandomRotation(0.1)). Prints one JSON line. Run pinned to one core by bench/run.ts.
 */
import sharp from 'sharp';
import { rotateImage } from '../src/augment';
import { openDataset } from '../src/dataset';
import { resizeImage } from '../src/resize';

/**
 * Lets V8 optimise the pixel kernels before timing, on synthetic pixels (the file cache stays
 * cold). On a real folder of thousands of images this one-off cost (~0.1 s) vanishes; on the
 * benchmark's 300 images it would otherwise count against the first epoch.
 */
function warmKernels(): void {
  const src = { data: new Uint8Array(500 * 375 * 3).fill(77), width: 500, height: 375, channels: 3 };
  const small = new Uint8Array(180 * 180 * 3);
  const out = new Uint8Array(small.length);
  for (let i = 0; i < 40; i++) {
    resizeImage(src, 180, 180, 'bilinear', undefined, small);
    rotateImage(small, 180, 180, 3, (i - 20) / 40, out, i % 2 === 0);
  }
}

async function main(): Promise<void> {
  const [dir, epochsArg] = process.argv.slice(2);
  sharp.concurrency(1); // one libvips thread per image: the process is pinned to one core anyway
  sharp.cache(false);
  const ds = await openDataset({
    dataDir: dir!,
    imageSize: [180, 180],
    batchSize: 32,
    seed: 1337,
    validate: false,
    log: false,
    augment: { flip: 'horizontal', rotation: 0.1 },
    cache: { memoryBytes: 1024 ** 3 },
  });
  const epochs = Number(epochsArg ?? 3);
  warmKernels();
  const wall: number[] = [];
  const cpu: number[] = [];
  let images = 0;
  for (let e = 0; e < epochs; e++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage(); // all threads of the process: JS, libuv pool, libvips
    let n = 0;
    for await (const b of ds.batches(e, { prefetch: 2 })) n += b.shape[0];
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
    wall.push(Number(process.hrtime.bigint() - t0) / 1e9);
    images = n;
  }
  const best = (xs: number[]) => Math.min(...xs);
  process.stdout.write(
    `${JSON.stringify({
      images,
      firstWall: images / wall[0]!,
      firstCpu: images / cpu[0]!,
      cachedWall: images / best(wall.slice(1)),
      cachedCpu: images / best(cpu.slice(1)),
      decoded: ds.stats().decoded,
    })}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
