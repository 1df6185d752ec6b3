/**
 * Every error the data pipeline throws on purpose. `code` is stable (the CLI maps it to an exit
 * code, see cli/exit-codes.ts); `message` is one line that names the folder, file or option and
 * says what to do.
 */
export type DataPipelineErrorCode =
  | 'bad-argument' // an option is out of range or of the wrong kind (Keras raises ValueError)
  | 'missing-directory' // the data folder does not exist or is not a folder
  | 'no-classes' // the data folder has no class subfolders
  | 'unknown-class' // an explicit classNames entry has no subfolder
  | 'empty-class' // a class subfolder holds no usable image
  | 'no-images' // a subset ends up empty
  | 'binary-needs-two-classes' // labelMode 'binary' with a class count other than 2
  | 'cache-error'; // the on-disk cache folder cannot be used

export class DataPipelineError extends Error {
  override readonly name = 'DataPipelineError';
  readonly code: DataPipelineErrorCode;
  /** The file or folder concerned, when there is one. */
  readonly path?: string;

  constructor(code: DataPipelineErrorCode, message: string, opts: { path?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.path !== undefined) this.path = opts.path;
  }
}
