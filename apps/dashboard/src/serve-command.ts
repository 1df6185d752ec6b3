import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { stderrLog, stopOnSignals } from '@pawpipe/app-shell';
import { DashboardError } from './errors';
import { DashboardServer } from './server';

/** TensorBoard's port, for those who have it in their fingers; the next few are tried when it is taken. */
export const DEFAULT_PORT = 6006;
const PORT_TRIES = 10;

interface ServeArgs { runs: string; port?: number; listen: string; untilDone?: string; staleSeconds: number }

/** The built page, dist/public (bundle-ui.js writes it); the same path from src/ under jest. */
export const PUBLIC_DIR = path.join(__dirname, '..', 'dist', 'public');

export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'a read-only web dashboard over a runs folder: live curves, per-epoch table, confusion matrix, data report, and "try it" in the browser',
  builder: (y) => y
    .option('runs', { type: 'string', demandOption: true, describe: 'the folder holding run folders (e.g. runs, with runs/demo inside)' })
    .option('port', { type: 'number', describe: `port (default ${DEFAULT_PORT}, or the next free one of ${DEFAULT_PORT}..${DEFAULT_PORT + PORT_TRIES - 1}; 0: any free port)` })
    .option('listen', { type: 'string', default: '127.0.0.1', describe: 'address to bind; anything but loopback lets other machines read the runs' })
    .option('until-done', { type: 'string', describe: 'stop serving once this run (a folder name under --runs) has completed or failed (the main job uses it)' })
    .option('stale-seconds', { type: 'number', default: 120, describe: 'an unfinished run whose files have not changed for this long is shown as failed' })
    .check((a) => {
      if (a.port !== undefined && (!Number.isInteger(a.port) || a.port < 0 || a.port > 65535)) throw new Error(`--port must be an integer 0..65535, got ${a.port}`);
      if (!((a.staleSeconds as number) > 0)) throw new Error(`--stale-seconds must be > 0, got ${String(a.staleSeconds)}`);
      return true;
    })
    .example('$0 serve --runs runs', `serves http://127.0.0.1:${DEFAULT_PORT}/`)
    .example('$0 serve --runs runs --port 8080 --listen 0.0.0.0', 'other machines may look (read-only)') as never,
  handler: async (args) => {
    const log = stderrLog('dashboard');
    if (args.untilDone) await folderAppears(args.runs, log);
    const ports = args.port !== undefined ? [args.port] : Array.from({ length: PORT_TRIES }, (_, i) => DEFAULT_PORT + i);
    let server: DashboardServer | null = null;
    for (const port of ports) {
      const s = new DashboardServer({ runs: args.runs, port, listen: args.listen, publicDir: PUBLIC_DIR, staleMs: args.staleSeconds * 1000, log });
      try {
        await s.start();
        server = s;
        break;
      } catch (e) {
        if (!(e instanceof DashboardError && e.code === 'port-in-use') || port === ports[ports.length - 1]) throw e;
      }
    }
    if (!server) return;
    const running = server;
    if (!['127.0.0.1', 'localhost', '::1'].includes(args.listen)) log(`listening on ${args.listen}: anyone who can reach this address can read the runs (read-only)`);
    stopOnSignals(log, () => running.stop(), 'stopping the dashboard');
    // stdout, one line: the main job's output shows it, and a script can read it.
    process.stdout.write(`dashboard: ${running.url}${args.untilDone ? `#/run/${encodeURIComponent(args.untilDone)}` : ''}\n`);
    if (args.untilDone) await untilDone(running, args.untilDone, args.staleSeconds * 1000, log);
    else await new Promise<void>(() => undefined); // serve until a signal
  },
};

/** The main job starts the dashboard beside the trainer, which makes the runs folder: wait for it rather than fail. */
async function folderAppears(dir: string, log: (line: string) => void): Promise<void> {
  let said = false;
  while (!(await fs.stat(dir).then((s) => s.isDirectory(), () => false))) {
    if (!said) log(`waiting for ${dir} to appear (the trainer makes it)`);
    said = true;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Resolve once the run has completed, or has failed after being seen running (a run left failed
 * by an earlier kill is resumed by the trainer a moment later, so failed-at-start only counts once
 * it has stayed so for the stale time).
 */
async function untilDone(server: DashboardServer, run: string, staleMs: number, log: (line: string) => void): Promise<void> {
  const t0 = Date.now();
  let seenRunning = false;
  for (;;) {
    const status = await server.status(run);
    if (status === 'running') seenRunning = true;
    if (status === 'completed' || (status === 'failed' && (seenRunning || Date.now() - t0 > staleMs))) {
      log(`run ${run} ${status}: stopping`);
      await server.stop();
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
