import { Dealer } from 'zeromq';

/**
 * A hostile peer: connects to the trainer's data port and sends malformed traffic the whole
 * time, reconnecting every few seconds (a new routing id each time, so the trainer's per-peer
 * limit starts afresh). Counts what it sent and the `malformed` answers it got.
 */
export class HostilePeer {
  sent = 0;
  answered = 0;
  connections = 0;
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly endpoint: string, private readonly perSecond = 200, private readonly reconnectMs = 5000) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const d = new Dealer({ linger: 0, sendHighWaterMark: 1000, sendTimeout: 0 });
      d.connect(this.endpoint);
      this.connections++;
      const reader = (async () => {
        try {
          for await (const [h] of d) if (h && h.includes('"malformed"')) this.answered++;
        } catch { /* closed */ }
      })();
      const until = Date.now() + this.reconnectMs;
      let k = 0;
      while (!this.stopped && Date.now() < until) {
        for (let b = 0; b < this.perSecond / 10; b++, k++) {
          try {
            await d.send(this.message(k));
            this.sent++;
          } catch {
            // HWM reached while the trainer is down: nothing was sent; try again later
            break;
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      d.close();
      await reader;
    }
  }

  private message(k: number): Buffer[] {
    switch (k % 5) {
      case 0: return [Buffer.from([0xde, 0xad, k & 255])];
      case 1: return [Buffer.from('{"v":1,"type":"batch","runId":"x"')];
      case 2: return [Buffer.from('{"v":2,"type":"hello"}')];
      case 3: return [Buffer.from(JSON.stringify({ v: 1, type: 'batch', runId: 'x', epoch: 0, index: 0, batchCount: 1, shape: [1, 16, 16, 3], dtype: 'uint8', labelMode: 'binary', classNames: ['a', 'b'], labelsDtype: 'float32', labelsShape: [1], skipped: [] })), Buffer.alloc(7)];
      default: return [Buffer.from('{"v":1,"type":"hello","loaderId":7}')];
    }
  }
}
