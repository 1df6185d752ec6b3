export type DemoDataErrorCode = 'usage' | 'not-empty' | 'io';

/** The error class of this package: `code` says what went wrong, `path` which folder or flag. */
export class DemoDataError extends Error {
  override name = 'DemoDataError';
  readonly code: DemoDataErrorCode;
  readonly path?: string;

  constructor(code: DemoDataErrorCode, message: string, opts: { path?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.path !== undefined) this.path = opts.path;
  }
}
