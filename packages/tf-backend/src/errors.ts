export type BackendErrorCode =
  | 'tensorflow-unavailable' // asked for 'tensorflow' where neither tfjs-node-gpu nor tfjs-node loads
  | 'webgpu-unavailable' // asked for 'webgpu' where Dawn, its package or an adapter is missing
  | 'backend-init-failed' // tf.setBackend returned false or threw
  | 'unknown-backend' // a choice other than auto | tensorflow | webgpu | wasm | cpu
  | 'model-io'; // a model directory could not be written or read

/** The error class of @pawpipe/tf-backend; `code` says what went wrong, `cause` keeps the original. */
export class BackendError extends Error {
  override readonly name = 'BackendError';
  constructor(readonly code: BackendErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
