export { EvaluatorApp, EVAL_FILES } from './evaluator-app';
export type { EvaluatorConfig, EvalRecord } from './evaluator-app';
