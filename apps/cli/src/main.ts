#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { validateCommand } from '@pawpipe/image-validation';
import { showAugmentedCommand, showCommand, splitCommand } from '@pawpipe/data-pipeline';
import { auditCommand } from './audit-command';
import { keysCommand } from './keys-command';
import { modelCommand } from './model-command';
import { runMain, stderrLog, usageFailure } from '@pawpipe/app-shell';
import { predictCommand } from './predict-command';
import { serveCommand } from '@pawpipe/dashboard-app';

/**
 * `pawpipe`: predict and model (summary + graph picture), plus the data commands the packages define (validate-images, split, show,
 * show-augmented), so users have one entry point.
 */
async function main(): Promise<void> {
  await yargs(hideBin(process.argv))
    .scriptName('pawpipe')
    .command(predictCommand as never)
    .command(modelCommand as never)
    .command(auditCommand as never)
    .command(keysCommand as never)
    .command(serveCommand as never)
    .command(validateCommand as never)
    .command(splitCommand as never)
    .command(showCommand as never)
    .command(showAugmentedCommand as never)
    .demandCommand(1, 'Name a command; --help lists them.')
    .strict()
    .help()
    .fail((msg, err) => {
      if (err && !msg) throw err; // a command's own error: runMain reports it
      usageFailure('pawpipe')(msg, err);
    })
    .parseAsync();
}

// Typed errors (a bad folder, a bad checkpoint) are one line, exit 2; anything else is a bug worth a stack.
runMain(main, stderrLog('pawpipe'));
