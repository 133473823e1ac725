// One registry of the error codes yimmo-wsgi reports, shared by logs, tests
// and docs/errors.md. A code names a failure; the message is what a person
// reads. Codes are grouped by the part of the server that raises them.
// Imports nothing (see ARCHITECTURE.md: errors, log and util are leaves).

export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
}

function registry<K extends string>(entries: Record<K, string>): { readonly [P in K]: ErrorInfo } {
  const out = {} as { [P in K]: ErrorInfo };
  for (const code of Object.keys(entries) as K[]) out[code] = { code, message: entries[code] };
  return out;
}

/** Request parsing: a request head or body that breaks RFC 9110/9112. */
export const HTTP_ERRORS = registry({
  // --- parser codes (src/http/parser.ts) ---
  YW_HTTP_BAD_REQUEST_LINE: 'malformed request line',
  YW_HTTP_BAD_METHOD: 'method is not a token',
  YW_HTTP_BAD_TARGET: 'invalid request target',
  YW_HTTP_BAD_VERSION: 'unsupported HTTP version',
  YW_HTTP_URI_TOO_LONG: 'request line too long',
  YW_HTTP_HEADERS_TOO_LARGE: 'header section too large',
  YW_HTTP_TOO_MANY_HEADERS: 'too many header fields',
  YW_HTTP_BAD_HEADER_NAME: 'invalid header field name',
  YW_HTTP_BAD_HEADER_VALUE: 'invalid header field value',
  YW_HTTP_BAD_LINE_ENDING: 'line not terminated by CRLF',
  YW_HTTP_OBS_FOLD: 'obsolete line folding',
  YW_HTTP_BAD_HOST: 'missing, repeated or invalid Host',
  YW_HTTP_BAD_CONTENT_LENGTH: 'invalid Content-Length',
  YW_HTTP_CL_AND_TE: 'both Content-Length and Transfer-Encoding',
  YW_HTTP_BAD_TRANSFER_ENCODING: 'invalid Transfer-Encoding',
  YW_HTTP_UNKNOWN_TRANSFER_CODING: 'unsupported transfer coding',
  YW_HTTP_BAD_CHUNK: 'malformed chunked body',
  YW_HTTP_CHUNK_EXTENSION_TOO_LONG: 'chunk extension too long',
  YW_HTTP_BODY_TOO_LARGE: 'request body too large',
  YW_HTTP_DUPLICATE_FIELD: 'singleton header field repeated',
  YW_HTTP_BAD_TRAILER: 'field not allowed in the trailer section',
  YW_HTTP_CONNECT_UNSUPPORTED: 'CONNECT is not supported',
  // --- end parser codes ---
});

/** Connection and exchange failures seen by a worker. */
export const WORKER_ERRORS = registry({
  YW_HEADER_TIMEOUT: 'request head not received in time',
  YW_BODY_TIMEOUT: 'request body not received in time',
  YW_REQUEST_TIMEOUT: 'application did not answer in time',
  YW_SEND_TIMEOUT: 'client took no response bytes in time',
  YW_HOST_GONE: 'python host exited while handling the request',
  YW_APP_ERROR: 'application raised an exception',
  YW_OVERLOADED: 'too many connections',
  YW_HOST_START: 'a replacement python host did not start (app load failed or timed out); retrying',
  YW_RELOAD_FAILED: 'a reload\'s new python host did not start (app load failed or timed out); the previous code keeps serving',
});

/** Startup and configuration: each ends the server with a non-zero exit. */
export const STARTUP_ERRORS = registry({
  // --- config codes (src/config) ---
  YW_CONFIG_INVALID: 'invalid setting',
  YW_CONFIG_UNKNOWN_KEY: 'unknown setting',
  YW_CONFIG_USAGE: 'malformed command line',
  YW_CONFIG_FILE: 'config file cannot be read',
  YW_CONFIG_TLS_FILE: 'TLS file cannot be read',
  YW_CONFIG_NO_APP: 'no application given',
  YW_CONFIG_PYTHON: 'python interpreter not found',
  YW_CONFIG_LOG_FILE: 'log file cannot be written',
  // --- end config codes ---
  YW_APP_LOAD: 'application failed to load',
  YW_BIND: 'cannot listen on the address',
  YW_METRICS_BIND: 'cannot listen on the metrics address (--metrics-bind)',
  YW_PYTHON: 'python interpreter cannot be started',
});
