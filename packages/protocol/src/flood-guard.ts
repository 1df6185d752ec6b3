export interface FloodGuardOptions {
  /** rejected messages a peer may send per window before it is muted */
  maxStrikes: number;
  windowMs: number;
  /** how long a muted peer's messages are discarded unread */
  muteMs: number;
}

interface Sender {
  lastSeen: number;
  windowStart: number;
  strikes: number;
  mutedUntil: number;
}

/**
 * Per-peer rate limit of rejected messages. A peer that keeps sending malformed or unassigned
 * messages is muted: for a while its messages are dropped before they are decoded, answered or
 * logged, so a flood costs one map lookup a message and cannot crowd out the good loaders.
 * It also counts the peers that spoke recently: ZeroMQ's ROUTER reads its peers' pipes in turn
 * (fair queueing), so after that many reads every peer with a message waiting has had one read.
 */
export class FloodGuard {
  private readonly senders = new Map<string, Sender>();
  muted = 0;
  mutes = 0;

  constructor(private readonly opts: FloodGuardOptions) {}

  /** Note a message from `key`; false when the peer is muted and the message must be dropped unread. */
  admit(key: string, now: number): boolean {
    let s = this.senders.get(key);
    if (!s) {
      s = { lastSeen: now, windowStart: now, strikes: 0, mutedUntil: 0 };
      this.senders.set(key, s);
    }
    s.lastSeen = now;
    if (s.mutedUntil > now) {
      this.muted++;
      return false;
    }
    return true;
  }

  /** Note a rejected message from `key`; true when this one got the peer muted. */
  strike(key: string, now: number): boolean {
    const s = this.senders.get(key);
    if (!s) return false;
    if (now - s.windowStart > this.opts.windowMs) {
      s.windowStart = now;
      s.strikes = 0;
    }
    s.strikes++;
    if (s.strikes <= this.opts.maxStrikes) return false;
    s.mutedUntil = now + this.opts.muteMs;
    s.strikes = 0;
    s.windowStart = now + this.opts.muteMs;
    this.mutes++;
    return true;
  }

  isMuted(key: string, now: number): boolean {
    return (this.senders.get(key)?.mutedUntil ?? 0) > now;
  }

  /** Peers heard from within `withinMs`. */
  activeSenders(now: number, withinMs: number): number {
    let n = 0;
    for (const s of this.senders.values()) if (now - s.lastSeen <= withinMs) n++;
    return n;
  }

  /** Forget peers that are neither muted nor heard from lately (bounded memory under reconnect storms). */
  prune(now: number, idleMs: number): void {
    for (const [key, s] of this.senders) {
      if (s.mutedUntil <= now && now - s.lastSeen > idleMs) this.senders.delete(key);
    }
  }
}
