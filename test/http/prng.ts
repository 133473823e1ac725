// A small seeded PRNG (mulberry32) so property tests are reproducible without
// a dependency: a failure message names the seed that replays it.

export class Prng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** `count` distinct ascending cut offsets strictly inside [0, length). */
  cuts(length: number, count: number): number[] {
    const set = new Set<number>();
    const max = Math.min(count, Math.max(0, length - 1));
    while (set.size < max) set.add(1 + this.int(length - 1));
    return [...set].sort((a, b) => a - b);
  }
}
