#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { defaultDemoDir } from './demo-dir';
import { DemoDataError } from './errors';
import { DEFAULTS, generateDemoData } from './generate';
import { generateKaggleShaped } from './kaggle';

/** Exit codes: 0 written, 2 usage error (bad flag, non-empty folder), 3 could not write. */
async function main(): Promise<void> {
  await yargs(hideBin(process.argv))
    .scriptName('demo-data')
    .command(
      'generate',
      'Write a Keras-style folder of synthetic Cat/Dog-like pictures with planted broken files',
      (y) =>
        y
          .option('out', { type: 'string', describe: 'Folder to write (default: <repo>/data/demo or $PAWPIPE_DEMO_DIR)' })
          .option('per-class', { type: 'number', default: DEFAULTS.perClass, describe: 'Pictures per class' })
          .option('seed', { type: 'number', default: DEFAULTS.seed, describe: 'Same seed, same bytes' })
          .option('classes', { type: 'string', default: DEFAULTS.classes.join(','), describe: 'Comma-separated class folder names (up to 6)' })
          .option('broken', { type: 'boolean', default: true, describe: 'Plant broken and odd files (--no-broken: pictures only)' })
          .option('force', { type: 'boolean', default: false, describe: 'Write into a non-empty folder demo-data did not make (replaces its class folders)' })
          .option('kaggle-shaped', {
            type: 'boolean',
            default: false,
            describe: "PetImages' mix instead of the demo set: photo-like JPEGs mostly 500x375/375x500, 6.4% Exif without JFIF, some greyscale and CMYK, Kaggle's broken files",
          })
          .example('$0 generate --out /tmp/pets --per-class 200 --seed 7', 'a small set')
          .example('$0 generate --kaggle-shaped --per-class 12500 --out /tmp/PetImages', 'a folder shaped like Kaggle PetImages (25,000 files)')
          .example('$0 generate --classes Cat,Dog,Rabbit', 'three classes'),
      async (a) => {
        const outDir = a.out ?? defaultDemoDir();
        const t0 = Date.now();
        const classes = a.classes.split(',').map((s) => s.trim()).filter(Boolean);
        if (a['kaggle-shaped']) {
          const k = await generateKaggleShaped({ outDir, perClass: a['per-class'], seed: a.seed, classes, force: a.force });
          const c = k.manifest.counts;
          process.stdout.write(
            `demo-data: wrote ${k.manifest.files} Kaggle-shaped files to ${k.outDir} in ${((Date.now() - t0) / 1000).toFixed(1)} s ` +
              `(${c.landscape500x375} at 500x375, ${c.portrait375x500} at 375x500, ${c.exifOnly} Exif without JFIF, ${c.greyscale} greyscale, ${c.cmyk} CMYK, ${c.broken} broken)\n`,
          );
          return;
        }
        const r = await generateDemoData({ outDir, perClass: a['per-class'], seed: a.seed, classes, plantBroken: a.broken, force: a.force });
        process.stdout.write(`demo-data: wrote ${r.files} files (${r.manifest.length} planted) to ${r.outDir} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      },
    )
    .demandCommand(1, 'demo-data: missing command; use demo-data generate --help')
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      const text = err instanceof DemoDataError ? err.message : `${(msg ?? err?.message ?? 'bad arguments').split('\n')[0]}; see demo-data generate --help`;
      process.stderr.write(`demo-data: ${text.replace(/^demo-data: /, '')}\n`);
      process.exit(err instanceof DemoDataError && err.code === 'io' ? 3 : 2);
    })
    .parseAsync();
}

main().catch((e: unknown) => {
  process.stderr.write(`demo-data: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(3);
});
