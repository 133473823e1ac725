// The four forms of request-target (RFC 9112 3.2) for the request parser.
// Origin-form, by far the most common, is split inline in parser.ts; this
// file handles the rest. The bytes were already checked against TARGET_CHAR
// (visible ASCII, no '#').
import { isValidHostPort } from './fields';

/** path, query and host of a request-target, or why it was refused. */
export interface TargetParts {
  readonly path: string;
  readonly query: string;
  /** The authority of an absolute-form target; null for the other forms (Host decides). */
  readonly host: string | null;
}

export interface TargetRefusal {
  readonly status: 400 | 501;
  readonly code: 'YW_HTTP_BAD_TARGET' | 'YW_HTTP_CONNECT_UNSUPPORTED';
  readonly detail: string;
}

const refuse = (detail: string): TargetRefusal => ({ status: 400, code: 'YW_HTTP_BAD_TARGET', detail });

/** Split a target that does not start with '/'. */
export function parseOtherTarget(method: string, target: string): TargetParts | TargetRefusal {
  // RFC 9112 3.2.3: authority-form is only for CONNECT, and CONNECT only takes it.
  // A WSGI server is no tunnel: a well-formed CONNECT gets 501 (RFC 9110 9.1, a
  // method the origin server does not implement), so the connection never
  // switches to tunnel mode behind the application's back.
  if (method === 'CONNECT') {
    if (!isValidHostPort(target, true, true)) return refuse('CONNECT target is not authority-form');
    return { status: 501, code: 'YW_HTTP_CONNECT_UNSUPPORTED', detail: 'CONNECT ' + target };
  }
  // RFC 9112 3.2.4: asterisk-form only with OPTIONS.
  if (target === '*') {
    if (method !== 'OPTIONS') return refuse('asterisk-form target with ' + method);
    return { path: '*', query: '', host: null };
  }
  // RFC 9112 3.2.2: absolute-form; a server MUST accept it (for http and https URIs).
  const colon = target.indexOf(':');
  const scheme = colon > 0 ? target.slice(0, colon).toLowerCase() : '';
  if ((scheme !== 'http' && scheme !== 'https') || !target.startsWith('//', colon + 1)) {
    return refuse('target is neither origin-form nor an http(s) absolute-form');
  }
  const authStart = colon + 3;
  let authEnd = authStart;
  while (authEnd < target.length) {
    const c = target.charCodeAt(authEnd);
    if (c === 0x2f || c === 0x3f) break;
    authEnd++;
  }
  const authority = target.slice(authStart, authEnd);
  // RFC 9110 4.2.4: userinfo is deprecated; a recipient SHOULD treat it as an error.
  if (authority.includes('@')) return refuse('userinfo in absolute-form target');
  // RFC 9110 4.2.1: an http(s) URI with an empty host MUST be rejected.
  if (!isValidHostPort(authority, true, false)) return refuse('invalid authority in absolute-form target');
  const q = target.indexOf('?', authEnd);
  let path = q < 0 ? target.slice(authEnd) : target.slice(authEnd, q);
  // RFC 9112 3.2.1/3.2.4: an empty path means '/' ('*' for OPTIONS).
  if (path === '') path = method === 'OPTIONS' ? '*' : '/';
  return { path, query: q < 0 ? '' : target.slice(q + 1), host: authority };
}
