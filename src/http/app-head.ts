// The application's response head (the host's `STATUS\0NAME\0VALUE...`,
// docs/protocol.md), checked and reduced to what the framing needs: once
// per distinct head, not once per response. An application sends the same
// few heads over and over (hello: one; a Django page: one per Content-Length),
// and splitting, lower-casing and matching every field of every response was
// a tenth of the worker's JavaScript per request (bench/results/profile.md,
// "Issue 13, session 4"). Pure: no sockets, no clock.

// Fields an application must not set (PEP 3333 "Other HTTP Features";
// RFC 9110 7.6.1): the server owns the connection and the framing.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);
const DIGITS = /^[0-9]{1,15}$/;
const CONNECTION_CLOSE = /(^|,)\s*close\s*(,|$)/i;

/** What the framing needs from one application head; `error` when the head cannot be sent. */
export interface AppHead {
  /** `200 OK`: the status line after the version. */
  readonly statusLine: string;
  readonly status: number;
  /** The application's Content-Length; -1 when it sent none. */
  readonly contentLength: number;
  readonly hasDate: boolean;
  readonly hasServer: boolean;
  /** The application asked to close the connection (`Connection: close`). */
  readonly close: boolean;
  /** `HTTP/1.1 STATUS\r\n` and the fields that pass (`Name: value\r\n` each), ready to extend. */
  readonly prefix: string;
  /** Why the head cannot be sent (then nothing else is meaningful). */
  readonly error: string | undefined;
}

/**
 * Heads seen, by their exact text. Bounded twice, so that an application
 * whose every head differs (a cookie, a length per response) costs a miss,
 * never memory: only heads up to CACHED_TEXT characters are kept, and the
 * map is emptied when it reaches CACHED_HEADS entries.
 */
const cache = new Map<string, AppHead>();
const CACHED_HEADS = 64;
const CACHED_TEXT = 1024;

/** The parsed form of `head`, from the cache when it was seen before. */
export function appHead(head: string): AppHead {
  if (head.length > CACHED_TEXT) return parseAppHead(head);
  let parsed = cache.get(head);
  if (parsed !== undefined) return parsed;
  parsed = parseAppHead(head);
  if (cache.size >= CACHED_HEADS) cache.clear();
  cache.set(head, parsed);
  return parsed;
}

/** Validates the application's head and keeps the fields that pass to the client. */
export function parseAppHead(head: string): AppHead {
  const parts = head.split('\0');
  const statusLine = parts[0] ?? '';
  const status = Number(statusLine.slice(0, 3));
  let contentLength = -1;
  let hasDate = false;
  let hasServer = false;
  let close = false;
  let fields = '';
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const name = parts[i] as string;
    const value = parts[i + 1] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) {
      if (lower === 'connection' && CONNECTION_CLOSE.test(value)) close = true;
      continue;
    }
    if (lower === 'content-length') {
      const length = DIGITS.test(value) ? Number(value) : NaN;
      if (Number.isNaN(length) || (contentLength !== -1 && contentLength !== length)) {
        return failed(`invalid Content-Length from the application: '${value}'`);
      }
      if (contentLength !== -1) continue; // an identical repeat says nothing new
      contentLength = length;
      if (status === 204) continue; // RFC 9110 8.6: never in a 204
    } else if (lower === 'date') hasDate = true;
    else if (lower === 'server') hasServer = true;
    fields += `${name}: ${value}\r\n`;
  }
  return { statusLine, status, contentLength, hasDate, hasServer, close, prefix: `HTTP/1.1 ${statusLine}\r\n${fields}`, error: undefined };
}

function failed(error: string): AppHead {
  return { statusLine: '', status: 0, contentLength: -1, hasDate: false, hasServer: false, close: false, prefix: '', error };
}
