/** What `pawpipe serve` refuses before it starts (a bad --runs, --port or --listen): one line, exit 2. */
export class DashboardError extends Error {
  constructor(readonly code: 'bad-runs' | 'port-in-use' | 'bad-listen', message: string, readonly path?: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'DashboardError';
  }
}
