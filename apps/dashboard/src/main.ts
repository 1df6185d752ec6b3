#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runMain, stderrLog, usageFailure } from '@pawpipe/app-shell';
import { serveCommand } from './serve-command';

/** `pawpipe-dashboard`: the `serve` command alone (`pawpipe serve` is the same). Exit codes: 0, 2 bad flag or folder, 130/143 signal. */
async function main(): Promise<void> {
  const argv = hideBin(process.argv);
  await yargs(argv[0] === 'serve' ? argv : ['serve', ...argv])
    .scriptName('pawpipe-dashboard')
    .command(serveCommand as never)
    .demandCommand(1)
    .strict()
    .help()
    .fail((msg, err) => {
      if (err && !msg) throw err;
      usageFailure('pawpipe-dashboard')(msg, err);
    })
    .parseAsync();
}

runMain(main, stderrLog('dashboard'));
