// The server's JSON (apps/dashboard/src/runs.ts) and the evaluator's reports, as the page reads them.
export type RunStatus = 'running' | 'completed' | 'failed';

export interface RunSummary {
  name: string; status: RunStatus; why: string; runId: string | null; epochsTrained: number; epochsScored: number;
  epochs: number | null; bestEpoch: number | null; updatedAt: string | null;
}
export interface HistoryLine { epoch: number; loss: number; accuracy: number; seconds?: number }
export interface EvalLine {
  epoch: number; epochs: number; loss: number; accuracy: number; val_loss: number; val_accuracy: number;
  images: number; confusion: number[][]; classNames: string[];
}
/** A small picture as raw RGB bytes (base64), as the evaluator writes it. */
export interface Thumb { width: number; height: number; rgb: string }
export interface ReportFile { path: string; category: string; reason: string; thumb?: Thumb | null }
export interface DataReport { root: string; excluded: ReportFile[]; keptWithWarning: ReportFile[]; exclude: string[] }
export interface Mistake { path: string; truth: string; predicted: string; probabilities: number[]; thumb?: Thumb | null }
export interface Mistakes { epoch: number; classNames: string[]; images: number; wrong: number; items: Mistake[] }
export interface RunDetail extends RunSummary {
  history: HistoryLine[]; evals: EvalLine[]; summary: string | null; dataReport: DataReport | null; mistakes: Mistakes | null;
  model: { url: string; classNames: string[]; imageSize: [number, number]; epoch: number } | null; hasGraph: boolean;
}
