import { describeError } from './exit-codes';

/**
 * Wraps a command handler: an error becomes one line on stderr and the documented exit code
 * (process.exitCode, so output already written is flushed before the process ends).
 */
export function runHandler<A>(name: string, handler: (argv: A) => Promise<void>): (argv: A) => Promise<void> {
  return async (argv: A) => {
    try {
      await handler(argv);
    } catch (err) {
      const { line, exitCode } = describeError(err);
      process.stderr.write(`${name}: ${line}\n`);
      process.exitCode = exitCode;
    }
  };
}
