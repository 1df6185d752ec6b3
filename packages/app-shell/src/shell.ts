// The shell the pawpipe processes (loader, trainer, evaluator, the pawpipe CLI) share, so each
// app's main.ts is only its flags and its wiring: one-line usage errors, a log prefix,
// SIGINT/SIGTERM that close sockets and flush files before exiting, and the exit-code rules.

/** Exit codes every app keeps: 0 done, 1 unexpected error, 2 bad flag or input, 130/143 interrupted. */
export const EXIT = { ok: 0, unexpected: 1, usage: 2, sigint: 130, sigterm: 143 } as const;

/** `name: line` on stderr. */
export function stderrLog(name: string): (line: string) => void {
  return (line) => { process.stderr.write(`${name}: ${line}\n`); };
}

/**
 * yargs' `.fail()` handler: the flag, what is wrong and where to look, on one line, then exit 2.
 * (A test can pass `exit` and `write`.)
 */
export function usageFailure(
  scriptName: string, exit: (code: number) => never = process.exit, write = (s: string) => process.stderr.write(s),
): (msg: string | undefined | null, err: Error | undefined) => never {
  return (msg, err) => {
    write(`${scriptName}: ${String(msg ?? err?.message).replace(/\s*\n\s*/g, ' ')} (see --help)\n`);
    return exit(EXIT.usage);
  };
}

/**
 * SIGINT (130) and SIGTERM (143): log, run `stop` (close sockets, flush files), exit with the
 * signal's code. Returns whether a signal has arrived, so main() can tell an interrupted run from
 * a finished one.
 */
export function stopOnSignals(log: (line: string) => void, stop: (signal: NodeJS.Signals) => Promise<unknown>, what = 'closing'): () => boolean {
  let stopping = false;
  for (const [signal, code] of [['SIGINT', EXIT.sigint], ['SIGTERM', EXIT.sigterm]] as const) {
    process.once(signal, () => {
      process.exitCode = code; // main() may finish first once the sockets close: it exits with this code
      stopping = true;
      log(`${signal}: ${what}`);
      void stop(signal).finally(() => process.exit(code));
    });
  }
  return () => stopping;
}

/** A package's typed error (a `code`, a name of its own): its message is the one line a user sees. */
export function isTypedError(e: unknown): e is Error & { code: string; path?: string } {
  const err = e as { code?: unknown; name?: unknown } | null;
  return err != null && typeof err.code === 'string' && err.name !== 'Error';
}

/**
 * The exit code and the line for an error that escaped main(): `special` first (an app's own
 * cases), then a typed error of the packages is its message and exit 2, anything else is a bug:
 * its stack and exit 1.
 */
export function classifyError(
  e: unknown, special?: (e: unknown) => { code: number; line: string } | undefined,
): { code: number; line: string } {
  const own = special?.(e);
  if (own) return own;
  if (isTypedError(e)) {
    const where = e.path && !e.message.includes(e.path) ? ` (${e.path})` : '';
    return { code: EXIT.usage, line: `${e.message}${where}` };
  }
  const err = e as Error | undefined;
  return { code: EXIT.unexpected, line: `unexpected error: ${err?.stack ?? String(e)}` };
}

/**
 * Runs an app's main(): exits with process.exitCode (0 by default) when it resolves, or with
 * classifyError's code and line when it throws.
 */
export function runMain(
  main: () => Promise<void>, log: (line: string) => void, special?: (e: unknown) => { code: number; line: string } | undefined,
): void {
  main().then(() => process.exit(process.exitCode ?? EXIT.ok), (e: unknown) => {
    const { code, line } = classifyError(e, special);
    log(line);
    process.exit(code);
  });
}
