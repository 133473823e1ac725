// A fixed-bucket histogram (Prometheus style) that a worker fills and the
// supervisor merges: observations are counted per bucket, not stored.
import type { HistogramData } from './snapshot';

/**
 * Seconds: Prometheus's default buckets, plus 1 ms and 2.5 ms for fast
 * applications and 30 s and 60 s for slow ones. The host's queue-wait
 * histogram uses the same (python/yimmo_host/status.py WAIT_BOUNDS).
 */
export const DURATION_BOUNDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[] = DURATION_BOUNDS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
    this.count++;
  }

  data(): HistogramData {
    return { bounds: [...this.bounds], counts: [...this.counts], sum: this.sum, count: this.count };
  }
}

export function emptyHistogram(bounds: readonly number[] = DURATION_BOUNDS): HistogramData {
  return { bounds: [...bounds], counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
}

/**
 * Adds histograms with the same bounds. One with other bounds (a host from
 * another release, in theory) is folded into +Inf, sum and count only, so the
 * totals stay right.
 */
export function mergeHistograms(bounds: readonly number[], parts: readonly HistogramData[]): HistogramData {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  let sum = 0;
  let count = 0;
  for (const part of parts) {
    const same = part.bounds.length === bounds.length && part.bounds.every((b, i) => b === bounds[i]);
    if (same) part.counts.forEach((c, i) => (counts[i] = (counts[i] ?? 0) + c));
    else counts[bounds.length] = (counts[bounds.length] ?? 0) + part.count;
    sum += part.sum;
    count += part.count;
  }
  return { bounds: [...bounds], counts, sum, count };
}
