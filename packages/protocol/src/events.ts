import { Publisher, Subscriber } from 'zeromq';
import { CONTROL_MAX_MESSAGE_BYTES, EVENT_TOPIC_PREFIX } from './constants';
import { decodeEvent } from './decode';
import { encodeEvent } from './encode';
import { applyCurveClient, applyCurveServer } from './curve';
import type { CurveClient, CurveServer } from './curve';
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
  private releaseCurve: (() => Promise<void>) | null = null;

  /** `curve`: encrypt, and admit only subscribers with the right keys; unset: plain TCP */
  constructor(private readonly endpointToBind: string, log: (line: string) => void = () => undefined, private readonly curve?: CurveServer) {
    this.queue = new SendQueue(this.socket, (e) => log(`event publish failed: ${e.message}`));
  }

  get address(): string {
    return this.socket.lastEndpoint ?? this.endpointToBind;
  }

  async start(): Promise<void> {
    if (this.curve) this.releaseCurve = await applyCurveServer(this.socket, this.curve);
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
    await this.releaseCurve?.();
  }
}

export class EventSubscriber {
  readonly rejections: Rejections;
  private readonly socket = new Subscriber({ linger: 0, maxMessageSize: CONTROL_MAX_MESSAGE_BYTES });

  /** `curve`: the trainer's public key and ours; unset: plain TCP */
  constructor(private readonly endpointToConnect: string, log: (line: string) => void = () => undefined, private readonly curve?: CurveClient) {
    this.rejections = new Rejections(log, 'event');
  }

  start(): void {
    if (this.curve) applyCurveClient(this.socket, this.curve);
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
