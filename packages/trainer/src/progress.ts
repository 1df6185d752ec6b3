/**
 * Keras-style progress (keras.utils.Progbar, verbose=1 on a TTY):
 *   Epoch 1/50
 *   586/586 [==============================] - 81s 139ms/step - loss: 0.6233 - accuracy: 0.6700
 * When the output is not a TTY (CI, pipes, turbo), plain lines: a progress line at most every
 * `plainEverySec` seconds and the same final line per epoch.
 */
export interface ProgressStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
}

const WIDTH = 30;

/** Keras Progbar: `%.4f`, or `%.4e` for tiny values. */
export function formatMetric(x: number): string {
  return Math.abs(x) > 1e-3 ? x.toFixed(4) : x.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** Keras Progbar's per-step time: s/step, ms/step or us/step, rounded. */
export function formatTimePerStep(seconds: number): string {
  if (seconds >= 1 || seconds === 0) return `${Math.round(seconds)}s/step`;
  if (seconds >= 1e-3) return `${Math.round(seconds * 1e3)}ms/step`;
  return `${Math.round(seconds * 1e6)}us/step`;
}

/** Keras Progbar's ETA: h:mm:ss, m:ss or Ns. */
export function formatEta(seconds: number): string {
  const s = Math.round(seconds);
  if (s > 3600) return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  if (s > 60) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
  return `${s}s`;
}

export function progressBar(current: number, target: number): string {
  const digits = String(target).length;
  let bar = `${String(current).padStart(digits)}/${target} [`;
  const progWidth = Math.floor((WIDTH * current) / target);
  if (progWidth > 0) {
    bar += '='.repeat(progWidth - 1);
    bar += current < target ? '>' : '=';
  }
  bar += '.'.repeat(WIDTH - progWidth);
  return `${bar}]`;
}

function metricsText(metrics: Record<string, number>): string {
  return Object.entries(metrics).map(([k, v]) => ` - ${k}: ${formatMetric(v)}`).join('');
}

export class KerasProgress {
  private start = 0;
  private lastPlain = 0;
  private target = 0;
  private readonly tty: boolean;

  constructor(private readonly out: ProgressStream, private readonly plainEverySec = 30, tty?: boolean) {
    this.tty = tty ?? Boolean(out.isTTY);
  }

  epochStart(epoch: number, epochs: number, target: number): void {
    this.start = performance.now();
    this.lastPlain = this.start;
    this.target = target;
    this.out.write(`Epoch ${epoch + 1}/${epochs}\n`);
  }

  step(current: number, metrics: Record<string, number>): void {
    const now = performance.now();
    const elapsed = (now - this.start) / 1000;
    const eta = (elapsed / current) * (this.target - current);
    if (this.tty) {
      this.out.write(`\r${progressBar(current, this.target)} - ETA: ${formatEta(eta)}${metricsText(metrics)}\x1b[K`);
    } else if (now - this.lastPlain >= this.plainEverySec * 1000 && current < this.target) {
      this.lastPlain = now;
      this.out.write(`${String(current).padStart(String(this.target).length)}/${this.target} - ETA: ${formatEta(eta)}${metricsText(metrics)}\n`);
    }
  }

  /** The epoch's closing line; returns it without the carriage return. */
  epochEnd(steps: number, metrics: Record<string, number>): string {
    const elapsed = (performance.now() - this.start) / 1000;
    const line = `${progressBar(steps, this.target)} - ${Math.round(elapsed)}s ${formatTimePerStep(elapsed / Math.max(1, steps))}${metricsText(metrics)}`;
    this.out.write(this.tty ? `\r${line}\x1b[K\n` : `${line}\n`);
    return line;
  }
}
