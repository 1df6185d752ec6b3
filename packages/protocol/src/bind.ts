import type { Socket } from 'zeromq';
import { ProtocolError } from './errors';

/**
 * Binds, retrying for up to 2 s while the port is "in use": a port just released (a trainer
 * restarted right after its predecessor closed) can stay busy for a moment while zmq's I/O
 * thread finishes closing it. Anything else is a ProtocolError('bad-endpoint').
 */
export async function bindWithRetry(socket: Socket, endpoint: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await socket.bind(endpoint);
      return;
    } catch (e) {
      if (attempt < 20 && /address already in use/i.test((e as Error).message)) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      throw new ProtocolError('bad-endpoint', `cannot listen on ${endpoint}: ${(e as Error).message}`, { cause: e });
    }
  }
}
