// When a Python host is due for recycling (--max-requests, --max-rss,
// --max-host-age), as pure functions: each host draws its own budget once,
// at its start, with the jitter, so that the hosts of all the workers (which
// started together) do not all restart together.
import type { WorkerConfig } from '../ipc/contract';

export type RecycleLimits = WorkerConfig['recycle'];

export interface HostBudget {
  /** Requests this host may be given; Infinity: no limit. */
  readonly requests: number;
  /** How long it may run, in ms; Infinity: no limit. */
  readonly ageMs: number;
  /** Most resident memory, in bytes; Infinity: no limit. */
  readonly rssBytes: number;
}

export interface HostUsage {
  readonly requests: number;
  readonly ageMs: number;
  /** undefined: not sampled (yet, or not on this system). */
  readonly rssBytes: number | undefined;
}

/** `random` returns [0, 1), as Math.random; the jitter adds 0..J (inclusive) to the limit. */
export function drawBudget(limits: RecycleLimits, random: () => number = Math.random): HostBudget {
  const jitter = (j: number): number => Math.floor(random() * (j + 1));
  return {
    requests: limits.maxRequests > 0 ? limits.maxRequests + jitter(limits.maxRequestsJitter) : Infinity,
    ageMs: limits.maxHostAgeMs > 0 ? limits.maxHostAgeMs + jitter(limits.maxHostAgeJitterMs) : Infinity,
    rssBytes: limits.maxRssBytes > 0 ? limits.maxRssBytes : Infinity,
  };
}

/** Why the host should be recycled now (for the log line), or undefined. */
export function recycleDue(budget: HostBudget, usage: HostUsage): string | undefined {
  if (usage.requests >= budget.requests) return `${usage.requests} requests (--max-requests)`;
  if (usage.ageMs >= budget.ageMs) return `running for ${Math.round(usage.ageMs / 1000)} s (--max-host-age)`;
  if (usage.rssBytes !== undefined && usage.rssBytes > budget.rssBytes) {
    return `resident memory ${Math.round(usage.rssBytes / 1024 / 1024)} MiB (--max-rss)`;
  }
  return undefined;
}

/** Whether any limit is set: without one the worker never samples the host's memory. */
export function recycles(limits: RecycleLimits): boolean {
  return limits.maxRequests > 0 || limits.maxRssBytes > 0 || limits.maxHostAgeMs > 0;
}
