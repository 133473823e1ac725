// HTTP/2 sessions of one worker (RFC 9113), on node:http2 (nghttp2): the
// framing, HPACK, flow control and the protocol's own checks are nghttp2's;
// this module configures its limits explicitly, turns each stream into a
// StreamSide the exchange drives like an HTTP/1.1 Connection, keeps the
// sessions' idle bound, and ends them with GOAWAY on a graceful stop.
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { Exchange, ExchangeRecord } from '../http/connection';
import type { DeadlineSettings, Wait } from '../http/deadlines';
import type { ParseError, ParserLimits, RequestHead } from '../http/request-head';
import { reasonPhrase } from '../http/canned';
import { http2Head, isParseError } from './request-head';
import { StreamSide } from './stream-side';

export interface Http2Limits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS we announce; nghttp2 refuses streams beyond it (RST_STREAM REFUSED_STREAM). */
  readonly maxConcurrentStreams: number;
  /** node:http2's maxSessionMemory, in bytes (rounded up to MiB): past it, new streams are refused. */
  readonly maxSessionMemoryBytes: number;
}

export interface Http2Options extends Omit<DeadlineSettings, 'lingerMs'> {
  readonly limits: ParserLimits;
  readonly http2: Http2Limits;
  readonly serverName: string;
  /** As ConnectionOptions.fineDuration: time each stream with the monotonic clock too. */
  readonly fineDuration?: boolean;
}

export interface Http2Events<F> {
  /** Starts the exchange of a stream; undefined when no host can take it yet (call `side.startWaiting()` later). */
  startExchange(side: StreamSide, head: RequestHead, facts: F): Exchange | undefined;
  exchangeDone(side: StreamSide, record: ExchangeRecord): void;
  /** A stream refused before the application (431, 413, 400, 501): its one exchange record, as HTTP/1.1 reports a refused request. */
  rejected(socket: Socket, error: ParseError, record: ExchangeRecord): void;
  /** A stream's wait passed its bound (for the metrics). */
  timedOut(wait: Wait): void;
  /** A session ended (for the worker's connection count, its drain and its byte counts). */
  closed(session: object, socket: Socket): void;
}

/** The flood and abuse bounds given to node:http2 explicitly (node's defaults in brackets, as of Node 20/24). */
function sessionOptions(o: Http2Options): http2.ServerOptions {
  const options: http2.ServerOptions & { streamResetBurst?: number; streamResetRate?: number } = {
    settings: {
      maxConcurrentStreams: o.http2.maxConcurrentStreams,
      // HPACK-decoded size of a header list, with RFC 9113 6.5.2's 32 bytes per field on top of --max-header-size.
      maxHeaderListSize: o.limits.maxHeaderBytes + 32 * o.limits.maxHeaders,
      enablePush: false,
      initialWindowSize: 65535,
      maxFrameSize: 16384,
    },
    // Fields per header list (pseudo-header fields count): beyond, the stream is reset (ENHANCE_YOUR_CALM). [128]
    maxHeaderListPairs: o.limits.maxHeaders + 8,
    maxSessionMemory: Math.max(1, Math.ceil(o.http2.maxSessionMemoryBytes / (1024 * 1024))),
    // SETTINGS entries per frame, unacknowledged PINGs (nghttp2 also bounds queued SETTINGS and PING
    // acknowledgements at 1000 before ending the session): a SETTINGS or PING flood closes it. [32, 10]
    maxSettings: 32,
    maxOutstandingPings: 10,
    // The client's SETTINGS_MAX_CONCURRENT_STREAMS until it sends its own (we never push). [100]
    peerMaxConcurrentStreams: 100,
    // Invalid frames (empty DATA floods among them) and streams refused for the limits above, per session,
    // before node:http2 ends it. [1000, 100]
    maxSessionInvalidFrames: 100,
    maxSessionRejectedStreams: 100,
    // Rapid reset (CVE-2023-44487): nghttp2's RST_STREAM rate limit; Node >= 22.? and 24 take it as options. [1000, 33/s]
    streamResetBurst: 1000,
    streamResetRate: 33,
    paddingStrategy: http2.constants.PADDING_STRATEGY_NONE,
  };
  return options;
}

interface SessionEntry<F> {
  readonly session: http2.ServerHttp2Session;
  readonly socket: Socket;
  readonly facts: F;
  readonly streams: Set<StreamSide>;
  /** When the last stream ended (or the session began); for the idle bound. */
  idleSince: number;
  /** When GOAWAY was sent (0: not yet). */
  closingSince: number;
}

export class Http2Sessions<F> {
  private readonly sessions = new Set<SessionEntry<F>>();
  private readonly options: http2.ServerOptions;
  private readonly deadlines: DeadlineSettings;
  private draining = false;

  constructor(private readonly o: Http2Options, private readonly events: Http2Events<F>) {
    if (typeof http2.performServerHandshake !== 'function') throw new Error('--http2 needs Node.js 20.12 or newer');
    this.options = sessionOptions(o);
    this.deadlines = { ...o, lingerMs: 0 };
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The sessions' sockets (for the metrics' byte counts). */
  sockets(): Socket[] {
    return [...this.sessions].map((e) => e.socket);
  }

  /** An accepted socket that speaks HTTP/2 (ALPN h2, or the h2c preface already read and put back). */
  accept(socket: Socket, facts: F): void {
    const session = http2.performServerHandshake(socket, this.options);
    const entry: SessionEntry<F> = { session, socket, facts, streams: new Set(), idleSince: Date.now(), closingSince: 0 };
    this.sessions.add(entry);
    session.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, flags: number, rawHeaders: unknown) =>
      this.onStream(entry, stream, flags, Array.isArray(rawHeaders) ? (rawHeaders as string[]) : undefined, headers));
    session.on('error', () => undefined); // 'close' follows
    session.on('close', () => {
      if (!this.sessions.delete(entry)) return;
      for (const side of entry.streams) side.abort();
      this.events.closed(entry, socket);
    });
    if (this.draining) this.goAway(entry, Date.now());
  }

  private onStream(entry: SessionEntry<F>, stream: http2.ServerHttp2Stream, flags: number, rawHeaders: string[] | undefined, headers: http2.IncomingHttpHeaders): void {
    const raw = rawHeaders ?? flatten(headers);
    const endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    const head = http2Head(raw, endStream, this.o.limits);
    if (isParseError(head)) {
      const bodyBytes = refuse(stream, head.status, this.o.serverName);
      this.events.rejected(entry.socket, head, { head: undefined, status: head.status, bodyBytes, durationMs: 0, end: 'rejected' });
      return;
    }
    const side = new StreamSide(stream, head, entry.socket, this.deadlines, this.o.limits.maxBodyBytes, this.o.serverName,
      (s, h) => this.events.startExchange(s, h, entry.facts),
      {
        exchangeDone: (s, record) => this.events.exchangeDone(s, record),
        closed: (s) => {
          entry.streams.delete(s);
          if (entry.streams.size === 0) entry.idleSince = Date.now();
        },
      }, this.o.fineDuration === true);
    entry.streams.add(side);
    side.startWaiting();
  }

  /** The worker's sweep: each stream's deadline, each session's idle bound and close. */
  check(now: number): void {
    for (const entry of this.sessions) {
      for (const side of entry.streams) {
        const passed = side.check(now);
        if (passed !== undefined) this.events.timedOut(passed);
      }
      if (entry.streams.size > 0) continue;
      if (entry.closingSince > 0) {
        // GOAWAY sent and no stream left, yet the client keeps the session (or takes none of our bytes).
        if (now - entry.closingSince > Math.max(this.o.sendTimeoutMs, 2000)) entry.session.destroy();
      } else if (this.o.idleTimeoutMs > 0 && now - entry.idleSince > this.o.idleTimeoutMs) this.goAway(entry, now);
    }
  }

  /** Graceful stop or reload: GOAWAY on every session; open streams finish, then the sessions close. */
  shutdown(): void {
    this.draining = true;
    const now = Date.now();
    for (const entry of this.sessions) this.goAway(entry, now);
  }

  /** Stop at once: every stream reset, every session destroyed. */
  abort(): void {
    for (const entry of this.sessions) entry.session.destroy();
  }

  private goAway(entry: SessionEntry<F>, now: number): void {
    if (entry.closingSince > 0) return;
    entry.closingSince = now;
    // close(): GOAWAY(NO_ERROR) naming the last stream we took; the session closes once those are done.
    entry.session.close();
  }
}

/** A stream refused before the application: a canned status, as HTTP/1.1 answers a bad request. */
function refuse(stream: http2.ServerHttp2Stream, status: number, serverName: string): number {
  const body = `${status} ${reasonPhrase(status)}\n`;
  stream.on('error', () => undefined);
  try {
    stream.respond({ ':status': status, 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length), server: serverName });
    stream.end(body);
    // Whatever body the client still sends is not wanted (RFC 9113 8.1).
    stream.once('finish', () => stream.close(http2.constants.NGHTTP2_NO_ERROR));
  } catch {
    return 0; // closed under us
  }
  return body.length;
}

function flatten(headers: http2.IncomingHttpHeaders): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) out.push(name, v);
  }
  return out;
}
