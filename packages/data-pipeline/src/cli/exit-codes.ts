/** Exit codes of `pawpipe-data` (documented in the README). */
import { DataPipelineError, type DataPipelineErrorCode } from '../errors';

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2, // a bad flag or flag value
  missingDirectory: 3,
  unusableData: 4, // no class folders, empty class, unknown class, no images in a subset
  outputExists: 5, // --out exists and --force was not given, or cannot be written
  cache: 6,
} as const;

const byCode: Record<DataPipelineErrorCode, number> = {
  'bad-argument': EXIT.usage,
  'binary-needs-two-classes': EXIT.usage,
  'missing-directory': EXIT.missingDirectory,
  'no-classes': EXIT.unusableData,
  'unknown-class': EXIT.unusableData,
  'empty-class': EXIT.unusableData,
  'no-images': EXIT.unusableData,
  'cache-error': EXIT.cache,
};

/** API option names as CLI flags, for error messages. */
const FLAGS: Record<string, string> = {
  validationSplit: '--validation-split',
  subset: '--subset',
  seed: '--seed',
  imageSize: '--image-size',
  batchSize: '--batch-size',
  labelMode: '--label-mode',
  interpolation: '--interpolation',
  classNames: '--class-names',
  exclude: '--exclude',
  'cache.memoryBytes': '--cache-bytes',
};

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** One line for stderr and the exit code for an error thrown by a command. */
export function describeError(err: unknown): { line: string; exitCode: number } {
  if (err instanceof CliError) return { line: err.message, exitCode: err.exitCode };
  if (err instanceof DataPipelineError) {
    const line = err.message.replace(/`([A-Za-z.]+)`/g, (m, name: string) => FLAGS[name] ?? m);
    return { line, exitCode: byCode[err.code] };
  }
  const msg = err instanceof Error ? err.message : String(err);
  return { line: `internal error: ${msg.split('\n')[0]} (please report it)`, exitCode: EXIT.internal };
}
