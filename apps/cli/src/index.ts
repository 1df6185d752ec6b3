export { Predictor, resolveModelDir, sentence, PredictError } from './predict';
export type { Prediction, PredictFailure } from './predict';
export { predictCommand, PREDICT_EXIT } from './predict-command';
export { auditCommand, AUDIT_EXIT, formatAudit } from './audit-command';
export { keysCommand } from './keys-command';
