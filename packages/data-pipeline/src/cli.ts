#!/usr/bin/env node
/** `pawpipe-data`: split, show, show-augmented. Exit codes: see cli/exit-codes.ts and the README. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { showAugmentedCommand } from './cli/show-augmented-command';
import { showCommand } from './cli/show-command';
import { splitCommand } from './cli/split-command';
import { EXIT } from './cli/exit-codes';

// `pawpipe-data split --json | head`: a closed pipe ends the output, not the run with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

void yargs(hideBin(process.argv))
  .scriptName('pawpipe-data')
  .command(splitCommand)
  .command(showCommand)
  .command(showAugmentedCommand)
  .demandCommand(1, 'Name a command: split, show or show-augmented')
  .strict()
  .fail((msg, err) => {
    const text = (msg ?? err?.message ?? 'bad usage').replace(/\s*\n\s*/g, ' ');
    process.stderr.write(`pawpipe-data: ${text} (see --help)\n`);
    process.exit(err && !msg ? EXIT.internal : EXIT.usage);
  })
  .help()
  .parseAsync();
