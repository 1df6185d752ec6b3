/**
 * One side of the per-core comparison, run by scale.ts under `taskset -c 0` with one libuv and
 * one libvips thread: a first epoch (no image cache) of decode + resize to 180x180 + RandomFlip +
 * RandomRotation(0.1) over a folder's training subset (its first N batches when given), exact or
 * fast decode. Prints JSON.
 */
import sharp from 'sharp';
import { imageReadMode, openDataset, type DecodeMode } from '@pawpipe/data-pipeline';

async function main(): Promise<void> {
  const [dir, mode, limit] = process.argv.slice(2) as [string, DecodeMode, string | undefined];
  const batches = limit === undefined ? Infinity : Number(limit);
  sharp.concurrency(1);
  const ds = await openDataset({
    dataDir: dir, subset: 'training', validationSplit: 0.2, seed: 1337, imageSize: [180, 180], batchSize: 32, labelMode: 'binary',
    augment: { flip: 'horizontal', rotation: 0.1 }, cache: false, decode: mode, log: false, decodeConcurrency: 2,
  });
  // Warm the JIT and the WebAssembly kernels on one batch before timing (a one-off per process).
  await ds.batch(1, 0);
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let images = 0;
  let n = 0;
  for await (const b of ds.batches(0, { prefetch: 2 })) {
    images += b.shape[0];
    if (++n >= batches) break; // the batches prefetched past it still count in the CPU time
  }
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ images, cpuS: (c.user + c.system) / 1e6, wallS, shrunk: ds.stats().shrunk, decoders: ds.stats().decoders, reads: imageReadMode() })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`scale-percore: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
