import type { Writable } from 'zeromq';

/**
 * zeromq.js allows one pending send per socket (a second gets EBUSY): chain them.
 * Failures are reported to `onError` and do not break the chain.
 */
export class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly socket: Writable, private readonly onError: (e: Error) => void) {}

  send(frames: Array<Buffer | string>): Promise<void> {
    if (this.closed) return Promise.resolve();
    const next = this.tail.then(async () => {
      if (this.closed) return;
      try {
        await this.socket.send(frames);
      } catch (e) {
        if (!this.closed) this.onError(e as Error);
      }
    });
    this.tail = next;
    return next;
  }

  /** Resolves when everything queued so far has been handed to ZeroMQ. */
  drain(): Promise<void> {
    return this.tail;
  }

  close(): void {
    this.closed = true;
  }
}
