// When every worker sharing the listening socket has stopped accepting
// (each is saturated: ARCHITECTURE.md, "Why workers stop accepting when
// saturated"), a new connection waits in the kernel's backlog until one of
// them has room again; with keep-alive clients keeping every worker busy that
// can be never. Only the supervisor sees every pause, so it owns that wait
// and bounds it: once every worker has been paused for SATURATION_BOUND_MS,
// the least loaded one is resumed to take what waits (pure decision here; the
// timer and the messages are in supervisor.ts).

/**
 * How long every worker may stay paused, as the supervisor hears of it,
 * before one is resumed anyway. A worker reports a pause only once it has
 * lasted 50 ms (PAUSE_REPORT_MS in src/worker/worker.ts), so a new connection
 * waits in the backlog for at most 200 ms in all before a worker takes it:
 * longer than a pause normally lasts (a request finishing frees a thread and
 * the worker asks for the handle back within milliseconds, so ordinary
 * balancing is left alone: a burst is still spread by whoever frees a thread
 * first), short enough that a health check or a new browser connection on a
 * saturated server gets its first response well within a second (the
 * default timeout of Kubernetes probes), plus the queueing its request would
 * get on any worker anyway. A forced resume costs a few IPC messages and a
 * listen, so even at one per bound it is nothing.
 */
export const SATURATION_BOUND_MS = 150;

/** A lone worker able to take connections (the others starting or retiring) takes every one waiting. */
export const DRAIN_ALL = 1_000_000;

export interface AcceptView {
  readonly id: number;
  /** Stopped accepting because saturated (its last report was `paused`). */
  readonly paused: boolean;
  /** Its busy connections when it paused. */
  readonly busy: number;
  /** When it paused (ms); ties go to the one paused longest. */
  readonly pausedAt: number;
}

/**
 * Which worker takes the waiting connections, and up to how many, when every
 * worker in `workers` (those serving on the shared socket, `threads` each) is
 * paused; undefined while any of them accepts. The least loaded takes up to
 * the difference to the next one, and at least a round's worth (`threads`):
 * the waiting connections are spread like water over the workers' loads, at
 * most a round apart, and a worker that reaches its quota says so
 * (`quotaReached`) so that the next one is resumed at once, with no second
 * bound. Eight 1 s requests on 2 x 2 threads thus end up four and four (two
 * rounds), not six and two (three rounds); a storm of 50 new connections on
 * 2 x 4 threads takes about ten such hand-overs, not fifty.
 */
export function relief(workers: readonly AcceptView[], threads: number): { readonly id: number; readonly drain: number } | undefined {
  if (workers.length === 0 || workers.some((w) => !w.paused)) return undefined;
  const [least, next] = [...workers].sort((a, b) => a.busy - b.busy || a.pausedAt - b.pausedAt);
  if (least === undefined) return undefined;
  return { id: least.id, drain: next === undefined ? DRAIN_ALL : Math.max(threads, next.busy - least.busy, 1) };
}
