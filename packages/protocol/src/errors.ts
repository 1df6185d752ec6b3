export type ProtocolErrorCode = 'rejected' | 'bad-endpoint' | 'closed' | 'dataset-mismatch' | 'trainer-failed'
  | 'no-answer' | 'refused' | 'transfer-failed' | 'bad-keys';

export class ProtocolError extends Error {
  constructor(readonly code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
  }
}
