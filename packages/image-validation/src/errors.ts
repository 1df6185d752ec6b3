export type ValidationErrorCode =
  | 'usage' // a bad flag or flag combination
  | 'not-found' // the folder or manifest does not exist
  | 'not-a-directory'
  | 'bad-manifest' // a quarantine manifest that cannot be read
  | 'conflict' // a file is in the way of a move
  | 'io' // the file system refused something
  | 'damaged' // a file's bytes break its format (thrown by decodeBmp / readBmpHeader)
  | 'unsupported'; // a variant of a format not read here (idem)

/** The one error class of this package: `code` says what went wrong, `path` which file or flag. */
export class ValidationError extends Error {
  override name = 'ValidationError';
  readonly code: ValidationErrorCode;
  readonly path?: string;

  constructor(code: ValidationErrorCode, message: string, opts: { path?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.path !== undefined) this.path = opts.path;
  }
}
