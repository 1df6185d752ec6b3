#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { validateCommand } from '@pawpipe/image-validation';
import { showAugmentedCommand, showCommand, splitCommand } from '@pawpipe/data-pipeline';
import { auditCommand } from './audit-command';
import { keysCommand } from './keys-command';
import { modelCommand } from './model-command';
import { predictCommand, PREDICT_EXIT } from './predict-command';

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
    .command(validateCommand as never)
    .command(splitCommand as never)
    .command(showCommand as never)
    .command(showAugmentedCommand as never)
    .demandCommand(1, 'Name a command; --help lists them.')
    .strict()
    .help()
    .fail((msg, err) => {
      if (err && !msg) throw err;
      // one line: the flag, what is wrong, where to look
      process.stderr.write(`pawpipe: ${String(msg ?? err?.message).replace(/\s*\n\s*/g, ' ')} (see --help)\n`);
      process.exit(PREDICT_EXIT.usage);
    })
    .parseAsync();
}

function report(e: unknown): void {
  const err = e as Error & { code?: string };
  // Typed errors (a bad folder, a bad checkpoint) are one line; anything else is a bug worth a stack.
  if (err && typeof err.code === 'string' && err.name !== 'Error') {
    process.stderr.write(`pawpipe: ${err.message}\n`);
    process.exit(PREDICT_EXIT.usage);
  }
  process.stderr.write(`pawpipe: unexpected error: ${err?.stack ?? String(e)}\n`);
  process.exit(1);
}

main().catch(report);
