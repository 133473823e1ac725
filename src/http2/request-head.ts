// An HTTP/2 request's header list (RFC 9113 8.3) as the RequestHead the
// exchange and the environ already understand. nghttp2 (under node:http2)
// has already refused what RFC 9113 8.2 and 8.3 call malformed: missing or
// repeated pseudo-header fields, uppercase names, connection-specific fields,
// a TE other than "trailers", invalid characters. What is left here is ours:
// the limits shared with HTTP/1.1, Host against :authority, Content-Length,
// and cookies. Pure: no I/O.
import type { ParseError, ParserLimits, RequestHead } from '../http/request-head';

const DIGITS = /^[0-9]{1,15}$/;

function error(status: ParseError['status'], code: string, detail: string): ParseError {
  return { status, code, detail };
}

/**
 * `raw` is the header list as received ([name, value, ...], names lower-case,
 * pseudo-header fields first); `endStream` says the HEADERS frame ended the
 * stream (no body).
 */
export function http2Head(raw: readonly string[], endStream: boolean, limits: ParserLimits): RequestHead | ParseError {
  let method = '';
  let path = '';
  let authority: string | undefined;
  const headers: string[] = [];
  const cookies: string[] = [];
  let host: string | undefined;
  let contentLength: number | undefined;
  let expectContinue = false;
  let bytes = 0;
  let count = 0;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (name.startsWith(':')) {
      if (name === ':method') method = value;
      else if (name === ':path') path = value;
      else if (name === ':authority') authority = value;
      continue; // :scheme is the client's view; the environ's scheme is the transport's (or a trusted proxy's)
    }
    count += 1;
    bytes += name.length + value.length + 4; // as "name: value\r\n" in HTTP/1.1, so one --max-header-size serves both
    if (count > limits.maxHeaders) return error(431, 'YW_HTTP_TOO_MANY_HEADERS', `more than ${limits.maxHeaders} fields`);
    if (bytes > limits.maxHeaderBytes) return error(431, 'YW_HTTP_HEADERS_TOO_LARGE', `header list over ${limits.maxHeaderBytes} bytes`);
    if (name === 'cookie') {
      // RFC 9113 8.2.3: a client may split the cookie field; it is joined with "; " before an HTTP/1.1 consumer sees it.
      cookies.push(value);
      continue;
    }
    if (name === 'host') {
      if (host !== undefined) return error(400, 'YW_HTTP_BAD_HOST', 'repeated Host');
      host = value;
    } else if (name === 'content-length') {
      const length = DIGITS.test(value) ? Number(value) : NaN;
      if (Number.isNaN(length) || (contentLength !== undefined && contentLength !== length)) {
        return error(400, 'YW_HTTP_BAD_CONTENT_LENGTH', `content-length '${value.slice(0, 40)}'`);
      }
      if (contentLength !== undefined) continue;
      contentLength = length;
    } else if (name === 'expect' && value.toLowerCase() === '100-continue') expectContinue = true;
    headers.push(name, value);
  }
  if (cookies.length > 0) headers.push('cookie', cookies.join('; '));
  if (method === 'CONNECT') return error(501, 'YW_HTTP_CONNECT_UNSUPPORTED', 'CONNECT over HTTP/2');
  // RFC 9113 8.3.1: a Host that names another authority than :authority makes the request malformed.
  if (authority !== undefined && host !== undefined && host !== authority) {
    return error(400, 'YW_HTTP_BAD_HOST', 'Host differs from :authority');
  }
  if (contentLength !== undefined && contentLength > limits.maxBodyBytes) {
    return error(413, 'YW_HTTP_BODY_TOO_LARGE', `content-length ${contentLength} over ${limits.maxBodyBytes}`);
  }
  const q = path.indexOf('?');
  const bodyKind = endStream || contentLength === 0 ? 'none' : contentLength !== undefined ? 'length' : 'chunked';
  return {
    method,
    target: path,
    path: q < 0 ? path : path.slice(0, q),
    query: q < 0 ? '' : path.slice(q + 1),
    minorVersion: 1,
    http2: true,
    headers,
    host: authority ?? host ?? '',
    keepAlive: true,
    // 'chunked' stands for "a body of unknown length" (DATA frames until END_STREAM): no CONTENT_LENGTH in the environ.
    bodyKind,
    contentLength: bodyKind === 'length' ? (contentLength ?? 0) : 0,
    expectContinue: expectContinue && bodyKind !== 'none',
  };
}

export function isParseError(value: RequestHead | ParseError): value is ParseError {
  return (value as ParseError).status !== undefined && (value as RequestHead).method === undefined;
}
