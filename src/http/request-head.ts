// The shapes the request parser produces (src/http/parser.ts) and the
// connection consumes. Pure data: no I/O, no imports.

export interface ParserLimits {
  /** Longest request line in bytes, CRLF excluded; longer gets 414. */
  readonly maxRequestLine: number;
  /** Largest header section in bytes (field lines and their CRLFs); larger gets 431. */
  readonly maxHeaderBytes: number;
  /** Most header field lines; more gets 431. */
  readonly maxHeaders: number;
  /** Largest request body in bytes, for Content-Length and chunked alike; larger gets 413. */
  readonly maxBodyBytes: number;
  /** Longest chunk extension (after the chunk size, before CRLF); longer gets 400. */
  readonly maxChunkExtension: number;
}

export const DEFAULT_LIMITS: ParserLimits = {
  maxRequestLine: 8190,
  maxHeaderBytes: 65536,
  maxHeaders: 100,
  maxBodyBytes: 1024 * 1024 * 1024,
  maxChunkExtension: 4096,
};

export type BodyKind = 'none' | 'length' | 'chunked';

export interface RequestHead {
  /** Method token, verbatim (case-sensitive). */
  readonly method: string;
  /** The request-target exactly as received. */
  readonly target: string;
  /** Path part, still percent-encoded; '*' for asterisk-form; the path of an absolute-form target. */
  readonly path: string;
  /** Everything after the first '?', raw; '' when there is none. */
  readonly query: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 (and 1 for HTTP/2, whose semantics are HTTP/1.1's). */
  readonly minorVersion: 0 | 1;
  /** Set on a request that came over HTTP/2 (src/http2/request-head.ts); absent for HTTP/1.x. */
  readonly http2?: true;
  /**
   * Header fields in arrival order as a flat list [name, value, name, value, ...];
   * names lower-cased, values latin-1 with surrounding whitespace removed.
   */
  readonly headers: readonly string[];
  /** The authority: from an absolute-form target if any, else the Host field ('' only for HTTP/1.0 without Host). */
  readonly host: string;
  /** Whether the connection may carry another request after this one (version + Connection tokens). */
  readonly keepAlive: boolean;
  readonly bodyKind: BodyKind;
  /** The body length for bodyKind 'length'; 0 otherwise. */
  readonly contentLength: number;
  /** `Expect: 100-continue` on an HTTP/1.1 request. */
  readonly expectContinue: boolean;
}

/** A protocol error is a value (ARCHITECTURE.md convention 4): the connection answers it. */
export interface ParseError {
  readonly status: 400 | 413 | 414 | 431 | 501 | 505;
  /** A key of HTTP_ERRORS in src/errors.ts. */
  readonly code: string;
  /** Detail for the log, never for the client. */
  readonly detail: string;
}

export type ParseEvent =
  | { readonly kind: 'head'; readonly head: RequestHead }
  | { readonly kind: 'body'; readonly data: Buffer }
  | { readonly kind: 'end'; readonly trailers: readonly string[] }
  | { readonly kind: 'error'; readonly error: ParseError };
