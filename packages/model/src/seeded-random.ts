// A small seedable PRNG (mulberry32, public domain, Tommy Ettinger) for the augmentation layers:
// they draw a few numbers per image on the JS side, so a seed makes training runs repeatable.
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** uniform in [0, 1) */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
}

export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32);
}
