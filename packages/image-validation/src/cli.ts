#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, isUsageMessage, validateCommand } from './command';
import { ValidationError } from './errors';

/** The validate-images bin: the command as the default command, one-line usage errors, exit 2. */
async function main(): Promise<void> {
  // `validate-images dir | head`: a closed pipe ends the output, not the run with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  await yargs(hideBin(process.argv))
    .scriptName('validate-images')
    .command({ ...validateCommand, command: '$0 [dir]' })
    .strict()
    .help()
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      // Our own messages already say what to do; yargs' (unknown flag, missing value) get a pointer to --help.
      const own = err instanceof ValidationError || isUsageMessage(err?.message ?? msg);
      const text = (own ? err.message : (msg ?? err?.message ?? 'bad arguments')).split('\n').filter((l) => l.trim())[0];
      process.stderr.write(`validate-images: ${text}${own ? '' : '; see validate-images --help'}\n`);
      process.exit(EXIT.usage);
    })
    .parseAsync();
}

main().catch((e: unknown) => {
  process.stderr.write(`validate-images: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(EXIT.actionFailed);
});
