import { Reply } from 'zeromq';
import type { Context } from 'zeromq';
import { z85Encode } from './z85';

const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

/**
 * The ZAP handler (ZeroMQ RFC 27) of one zeromq context: libzmq asks it, for every CURVE handshake
 * on a server socket, whether the client's public key may connect. One handler serves every server
 * socket of its context (libzmq allows one per context; the broker thread has a context of its
 * own); each socket has its own ZAP domain with its own list of allowed keys. The handler's socket
 * closes when the last domain goes.
 */
class ZapHandler {
  constructor(private readonly context: Context) {}

  private readonly domains = new Map<string, Set<string> | null>();
  private socket: Reply | null = null;
  private loop: Promise<void> | null = null;
  denied = 0;

  async register(domain: string, allowed: string[] | null): Promise<void> {
    this.domains.set(domain, allowed ? new Set(allowed) : null);
    if (this.socket) return;
    const socket = new Reply({ linger: 0, context: this.context });
    await socket.bind(ZAP_ENDPOINT);
    this.socket = socket;
    this.loop = this.serve(socket);
  }

  async unregister(domain: string): Promise<void> {
    this.domains.delete(domain);
    if (this.domains.size > 0 || !this.socket) return;
    const socket = this.socket;
    this.socket = null;
    socket.close();
    await this.loop?.catch(() => undefined);
  }

  private async serve(socket: Reply): Promise<void> {
    try {
      for await (const frames of socket) {
        // request: version, request id, domain, address, identity, mechanism, credentials...
        const [version, requestId, domain, , , mechanism, key] = frames;
        let status = '400';
        let text = 'unknown domain';
        const allowed = this.domains.get(domain?.toString() ?? '');
        if (this.domains.has(domain?.toString() ?? '') && mechanism?.toString() === 'CURVE' && key?.length === 32) {
          if (allowed === null || allowed?.has(z85Encode(key))) {
            status = '200';
            text = 'OK';
          } else {
            text = 'client key not authorized';
          }
        } else if (mechanism?.toString() !== 'CURVE') {
          text = 'CURVE required';
        }
        if (status !== '200') this.denied++;
        await socket.send([version ?? '1.0', requestId ?? '', status, text, '', '']);
      }
    } catch {
      // closed
    }
  }
}

const handlers = new WeakMap<Context, ZapHandler>();

/** The ZAP handler of `context` (in this thread). */
export function zapHandler(context: Context): ZapHandler {
  let h = handlers.get(context);
  if (!h) {
    h = new ZapHandler(context);
    handlers.set(context, h);
  }
  return h;
}
