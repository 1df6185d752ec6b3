import { Publisher, Subscriber } from 'zeromq';
import { CONTROL_MAX_MESSAGE_BYTES, EVENT_TOPIC_PREFIX } from './constants';
import { decodeEvent } from './decode';
import { encodeEvent } from './encode';
import { ProtocolError } from './errors';
import type { TrainerEvent } from './messages';
import { Rejections } from './rejections';
import { SendQueue } from './send-queue';

type WithoutV<T> = T extends unknown ? Omit<T, 'v'> : never;

/**
 * Checkpoint events (ZeroMQ Guide: PUB/SUB). PUB drops messages for subscribers that are not
 * connected yet, so subscribers must also catch up from the checkpoint folder ("late joiner").
 */
export class EventPublisher {
  private readonly socket = new Publisher({ linger: 500 });
  private readonly queue: SendQueue;

  constructor(private readonly endpointToBind: string, log: (line: string) => void = () => undefined) {
    this.queue = new SendQueue(this.socket, (e) => log(`event publish failed: ${e.message}`));
  }

  get address(): string {
    return this.socket.lastEndpoint ?? this.endpointToBind;
  }

  async start(): Promise<void> {
    try {
      await this.socket.bind(this.endpointToBind);
    } catch (e) {
      throw new ProtocolError('bad-endpoint', `cannot listen on ${this.endpointToBind}: ${(e as Error).message}`, { cause: e });
    }
  }

  publish(event: WithoutV<TrainerEvent>): Promise<void> {
    return this.queue.send(encodeEvent(event));
  }

  async stop(): Promise<void> {
    await this.queue.drain();
    this.queue.close();
    this.socket.close();
  }
}

export class EventSubscriber {
  readonly rejections: Rejections;
  private readonly socket = new Subscriber({ linger: 0, maxMessageSize: CONTROL_MAX_MESSAGE_BYTES });

  constructor(private readonly endpointToConnect: string, log: (line: string) => void = () => undefined) {
    this.rejections = new Rejections(log, 'event');
  }

  start(): void {
    this.socket.connect(this.endpointToConnect);
    this.socket.subscribe(EVENT_TOPIC_PREFIX);
  }

  /** Valid events until stop(); malformed ones are counted and skipped. */
  async *events(): AsyncGenerator<TrainerEvent> {
    try {
      for await (const frames of this.socket) {
        const decoded = decodeEvent(frames);
        if (decoded.ok) yield decoded.message;
        else this.rejections.note(decoded.reason, 'publisher');
      }
    } catch (e) {
      if (!this.socket.closed) throw e;
    }
  }

  stop(): void {
    if (!this.socket.closed) this.socket.close();
  }
}
