// The deadline model: at any moment a connection waits on exactly one party,
// and each wait has exactly one bound. Pure (no sockets, no clock): the
// connection describes its state, this module names the wait, its bound, and
// what progress re-arms it. The worker's single sweep checks the deadline
// (ARCHITECTURE.md "Deadlines").

/**
 * Whom the connection waits on.
 * - `idle`: the client, for its next request (nothing in progress).
 * - `head`: the client, for the rest of a request head it began.
 * - `body`: the client, for request body bytes we want (our window is open),
 *   or for the unread body of an answered request that we drop.
 * - `app`: the application, for the next piece of its response (or to read
 *   the body: while our request window is closed, the client is not to blame).
 * - `send`: the client, to take response bytes waiting for it.
 * - `host`: a Python host, to come up and take the request.
 * - `direct`: the Python host, writing a body to the client itself; the host
 *   enforces this wait's bound (its stall limit: the request timeout, or the
 *   send timeout when that is off; see worker.ts).
 * - `linger`: the client, for its FIN after ours.
 * - `none`: nobody (the connection is gone).
 */
export type Wait = 'idle' | 'head' | 'body' | 'app' | 'send' | 'host' | 'direct' | 'linger' | 'none';

/** What the connection knows about itself, in the terms the model needs. */
export interface WaitState {
  /** The socket is closed. */
  readonly gone: boolean;
  /** Our FIN is sent; we read and drop until the client's. */
  readonly closing: boolean;
  /** A request was parsed and waits for a host to take it. */
  readonly waitingForHost: boolean;
  /** A request's exchange is in progress. */
  readonly exchange: boolean;
  /** Response bytes are queued in Node for the client. */
  readonly unsent: boolean;
  /** The host writes to the client socket itself (after DIRECT_GO). */
  readonly hostWriting: boolean;
  /** We want request body bytes: the exchange's window is open and the body is not complete. */
  readonly wantBody: boolean;
  /** No exchange, and the body of the request just answered is still being read and dropped. */
  readonly discarding: boolean;
  /** No exchange, and the bytes of a next request head have begun. */
  readonly partialHead: boolean;
}

export function currentWait(s: WaitState): Wait {
  if (s.gone) return 'none';
  // Bytes we hold for the client come first: until it takes them, nothing
  // else can move (a direct write waits for them, and so does a close).
  if (s.unsent) return 'send';
  if (s.closing) return 'linger';
  if (s.waitingForHost) return 'host';
  if (s.exchange) {
    if (s.hostWriting) return 'direct';
    return s.wantBody ? 'body' : 'app';
  }
  if (s.discarding) return 'body';
  return s.partialHead ? 'head' : 'idle';
}

export interface DeadlineSettings {
  readonly idleTimeoutMs: number;
  readonly headerTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  /** 0: the application may take forever. */
  readonly requestTimeoutMs: number;
  /** How long a host may take to start: bounds the wait for one when the request timeout is off. */
  readonly hostStartTimeoutMs: number;
  readonly sendTimeoutMs: number;
  readonly lingerMs: number;
}

/** The bound of a wait in ms; 0 means the connection arms nothing for it. */
export function boundOf(wait: Wait, s: DeadlineSettings): number {
  switch (wait) {
    case 'idle':
      return s.idleTimeoutMs;
    case 'head':
      return s.headerTimeoutMs;
    case 'body':
      return s.bodyTimeoutMs;
    case 'app':
      return s.requestTimeoutMs;
    case 'host':
      return s.requestTimeoutMs > 0 ? s.requestTimeoutMs : s.hostStartTimeoutMs;
    case 'send':
      return s.sendTimeoutMs;
    case 'linger':
      return s.lingerMs;
    case 'direct': // the host's own stall limit (worker.ts passes it)
    case 'none':
      return 0;
  }
}

/**
 * Progress that re-arms the current wait's deadline: `body` each
 * BODY_PROGRESS bytes received, `app` each piece of response, `send` each
 * time the client took bytes. A head must arrive whole within its bound; an
 * idle connection has no progress short of a new request (another wait).
 */
export type Progress = 'body' | 'app' | 'send';

export const BODY_PROGRESS = 64 * 1024;

/** Whether `progress` re-arms `wait`. */
export function rearms(wait: Wait, progress: Progress): boolean {
  return wait === progress;
}

/**
 * One party's deadline, kept by an HTTP/1.1 connection (src/http/connection.ts)
 * and by each HTTP/2 stream (src/http2/stream-side.ts): the wait the owner's
 * state names, when its bound passes, and the progress that re-arms it. The
 * owner calls `update` after every change of its state and on each sweep;
 * the clock is read only when a deadline is armed (most updates change
 * nothing, and they run several times per request).
 */
export class DeadlineClock {
  /** Whom the owner waits on now. */
  wait: Wait;
  /** When the current wait's bound passes (ms since the epoch), Infinity when it has none. */
  deadline = Infinity;
  /** Bytes queued toward the client at the last update (progress of the 'send' wait). */
  private lastQueued = 0;

  constructor(
    private readonly settings: DeadlineSettings,
    wait: Wait = 'none',
    private readonly clock: () => number = Date.now,
  ) {
    this.wait = wait;
    if (wait !== 'none') this.arm(wait, clock());
  }

  /**
   * The owner's state names `wait`, with `queued` bytes waiting for the
   * client: a new wait gets a fresh deadline, the same one keeps its own,
   * except 'send' when the client took bytes. `now`: the caller's clock
   * reading (0: read it only if needed).
   */
  update(wait: Wait, queued: number, now = 0): void {
    if (wait === 'send' && this.wait === 'send' && queued < this.lastQueued) this.arm('send', now || this.clock()); // the client took bytes
    this.lastQueued = queued;
    if (wait !== this.wait) this.arm(wait, now || this.clock());
  }

  /** Progress by whoever the owner waits on: re-arms the wait it belongs to. */
  progress(kind: Progress): void {
    if (rearms(this.wait, kind)) this.arm(this.wait, this.clock());
  }

  /** Whether the current wait's bound has passed at `now`. */
  passed(now: number): boolean {
    return now > this.deadline;
  }

  /** The owner is gone: nobody is waited on. */
  stop(): void {
    this.wait = 'none';
    this.deadline = Infinity;
  }

  private arm(wait: Wait, now: number): void {
    this.wait = wait;
    const bound = boundOf(wait, this.settings);
    this.deadline = bound > 0 ? now + bound : Infinity;
  }
}
