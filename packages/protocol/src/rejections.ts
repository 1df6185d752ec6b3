/**
 * Counts rejected messages by reason and logs them without flooding: the first few of each
 * reason, then every 100th. A malformed message never reaches training and never throws.
 */
export class Rejections {
  readonly byReason = new Map<string, number>();
  total = 0;

  constructor(private readonly log: (line: string) => void = () => undefined, private readonly what = 'message') {}

  note(reason: string, from?: string): void {
    this.total++;
    // Numbers inside reasons (sizes, indices) would make every reason unique: group by their shape.
    const key = reason.replace(/\d+/g, 'N');
    const n = (this.byReason.get(key) ?? 0) + 1;
    this.byReason.set(key, n);
    if (n <= 3 || n % 100 === 0) {
      this.log(`rejected ${this.what}${from ? ` from ${from}` : ''}: ${reason} (${n} so far for this reason, ${this.total} in all)`);
    }
  }

  summary(): Record<string, number> {
    return Object.fromEntries(this.byReason);
  }
}
