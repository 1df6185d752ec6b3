export type TrainerErrorCode = 'no-checkpoint' | 'bad-checkpoint' | 'checkpoint-exists' | 'mismatch' | 'bad-batch' | 'out-of-memory';

export class TrainerError extends Error {
  constructor(readonly code: TrainerErrorCode, message: string, readonly path?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrainerError';
  }
}
