export { DashboardServer } from './server';
export type { DashboardOptions } from './server';
export { serveCommand, DEFAULT_PORT, PUBLIC_DIR } from './serve-command';
export { resolveUnder } from './safe-path';
export type { Resolved } from './safe-path';
export { readRun, listRuns, runStatus } from './runs';
export type { RunDetail, RunSummary, RunStatus, HistoryLine, EvalLine } from './runs';
export { DashboardError } from './errors';
