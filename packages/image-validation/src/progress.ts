import { SingleBar } from 'cli-progress';

/** Plain progress lines go out at most this often, and at every tenth of the way. */
const PLAIN_EVERY_MS = 5000;

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * A bar on a terminal, plain lines otherwise (CI logs, pipes): a line at each 10% and at least
 * every 5 s, never one per file. Small scans (under 100 files) print nothing.
 */
export function progress(stream: NodeJS.WriteStream, label: string): Progress {
  if (stream.isTTY) {
    const bar = new SingleBar({ stream, format: `${label} [{bar}] {value}/{total} files {percentage}% eta {eta_formatted}`, hideCursor: true, clearOnComplete: true });
    let started = false;
    return {
      update(done, total) {
        if (!started) {
          bar.start(total, done);
          started = true;
        } else bar.update(done);
      },
      stop: () => started && bar.stop(),
    };
  }
  let lastTenth = 0;
  let lastAt = Date.now();
  return {
    update(done, total) {
      if (total < 100) return;
      const tenth = Math.floor((done * 10) / total);
      if (tenth > lastTenth || Date.now() - lastAt >= PLAIN_EVERY_MS) {
        lastTenth = tenth;
        lastAt = Date.now();
        stream.write(`${label}: ${done}/${total} files (${Math.floor((done * 100) / total)}%)\n`);
      }
    },
    stop() {},
  };
}
