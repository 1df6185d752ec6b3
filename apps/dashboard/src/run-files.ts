/** What the dashboard reads in a run folder (written by the trainer and the evaluator; never by the dashboard). */
export const RUN_FILES = {
  history: 'history.jsonl',
  consumed: 'consumed.jsonl',
  evals: 'eval.jsonl',
  bestJson: 'best.json',
  best: 'best',
  checkpoints: 'checkpoints',
  summary: 'model-summary.txt',
  modelGraph: 'model.png',
  dataReport: 'data-report.json',
  mistakes: 'mistakes.json',
} as const;

/** Files whose change means the page has something new to show. */
export const WATCHED = [RUN_FILES.history, RUN_FILES.evals, RUN_FILES.bestJson, RUN_FILES.summary, RUN_FILES.dataReport, RUN_FILES.mistakes] as const;
