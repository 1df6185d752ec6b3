/**
 * One benchmark pass of this package: epoch 0 decodes (cache empty), later epochs come from the
 * in-memory cache; every training batch is flipped and rotated (RandomFlip('horizontal'),
 * RandomRotation(0.1)). Prints one JSON line. Run pinned to one core by bench/run.ts.
 */
import sharp from 'sharp';
import { openDataset } from '../src/dataset';

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
    cache: { memoryBytes: 1 << 30 },
  });
  const epochs = Number(epochsArg ?? 3);
  const times: number[] = [];
  let images = 0;
  for (let e = 0; e < epochs; e++) {
    const t0 = process.hrtime.bigint();
    let n = 0;
    for await (const b of ds.batches(e, { prefetch: 2 })) n += b.shape[0];
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    images = n;
  }
  const cached = times.slice(1);
  process.stdout.write(
    `${JSON.stringify({ images, firstEpochPerSec: images / times[0]!, cachedPerSec: images / (cached.reduce((a, b) => a + b, 0) / cached.length), decoded: ds.stats().decoded })}\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
