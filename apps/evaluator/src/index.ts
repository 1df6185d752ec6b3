export { EvaluatorApp, EVAL_FILES } from './evaluator-app';
export type { EvaluatorConfig, EvalRecord } from './evaluator-app';
export { PAGE_FILES, mostConfidentlyWrong, probabilitiesOf, thumbnail } from './page-reports';
export type { ScoredImage, Thumb } from './page-reports';
