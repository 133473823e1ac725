// Builds the REQUEST frame payload: the CGI-style part of the WSGI environ
// (PEP 3333 "environ Variables", RFC 3875 4.1) as NUL-separated latin-1.
import type { RequestHead } from '../http/request-head';
import { resolveForwarded, type ForwardedPolicy } from '../http/forwarded';

export interface ConnectionFacts {
  /** The client: the socket's peer, or the source a PROXY protocol header named ('' for a Unix-socket peer). */
  readonly remoteAddress: string;
  /** null for a Unix-socket peer: REMOTE_PORT is left out of the environ. */
  readonly remotePort: number | null;
  readonly localAddress: string;
  readonly localPort: number;
  /** wsgi.url_scheme unless a trusted proxy's fields say otherwise. */
  readonly scheme: 'http' | 'https';
  /** TLS is terminated by this server (a direct write needs the plain TCP socket). */
  readonly tls: boolean;
  /** Set when the peer is trusted to send X-Forwarded-* / Forwarded fields. */
  readonly forwarded: ForwardedPolicy | null;
  /** `--root-path`: SCRIPT_NAME, stripped from the front of PATH_INFO; '' for none. */
  readonly rootPath: string;
}

const cgiNames = new Map<string, string | null>();

/** `x-forwarded-for` -> `HTTP_X_FORWARDED_FOR`; null for names the environ must not carry. */
function cgiName(lower: string): string | null {
  let name = cgiNames.get(lower);
  if (name !== undefined) return name;
  // A field spelled with '_' would land on the same key as its '-' twin and
  // could spoof it (e.g. X_Auth vs X-Auth behind a proxy that checks one): drop it.
  if (lower.includes('_')) name = null;
  else if (lower === 'content-type') name = 'CONTENT_TYPE';
  else if (lower === 'content-length') name = 'CONTENT_LENGTH';
  else name = 'HTTP_' + lower.toUpperCase().replace(/-/g, '_');
  if (cgiNames.size < 1000) cgiNames.set(lower, name);
  return name;
}

/** Splits an authority into host and port: `example.com:8080`, `[::1]:80`, `example.com`. */
function splitAuthority(authority: string): [string, string] {
  const colon = authority.lastIndexOf(':');
  if (colon > 0 && colon > authority.lastIndexOf(']')) return [authority.slice(0, colon), authority.slice(colon + 1)];
  return [authority, ''];
}

/**
 * The environ pairs of one request, in first-seen order (a Map's order,
 * without a Map per request: a head has a few fields, so a linear search
 * beats hashing; a long head gets an index). A removed pair's name is ''.
 */
class Pairs {
  readonly names: string[] = [];
  readonly values: string[] = [];
  private index: Map<string, number> | undefined;

  find(name: string): number {
    const index = this.index;
    if (index !== undefined) return index.get(name) ?? -1;
    const names = this.names;
    for (let i = 0; i < names.length; i++) if (names[i] === name) return i;
    return -1;
  }

  get(name: string): string | undefined {
    const i = this.find(name);
    return i < 0 ? undefined : this.values[i];
  }

  set(name: string, value: string): void {
    const i = this.find(name);
    if (i >= 0) {
      this.values[i] = value;
      return;
    }
    this.names.push(name);
    this.values.push(value);
    if (this.index !== undefined) this.index.set(name, this.names.length - 1);
    else if (this.names.length > 16) this.index = new Map(this.names.map((n, j) => [n, j]));
  }

  delete(name: string): void {
    const i = this.find(name);
    if (i < 0) return;
    this.names[i] = '';
    this.index?.delete(name);
  }
}

/** `direct`: the worker can hand this connection's socket to the host (flag `d`). */
export function requestPayload(head: RequestHead, facts: ConnectionFacts, direct: boolean): string {
  const fields = new Pairs();
  const h = head.headers;
  for (let i = 0; i + 1 < h.length; i += 2) {
    const name = cgiName(h[i] as string);
    if (name === null) continue;
    const value = h[i + 1] as string;
    const at = fields.find(name);
    // RFC 9110 5.3: repeated fields combine, in order, with ", ".
    if (at < 0) fields.set(name, value);
    else fields.values[at] += ', ' + value;
  }
  if (head.bodyKind === 'chunked') fields.delete('CONTENT_LENGTH');
  // RFC 9112 3.2.2: an absolute-form target's authority replaces Host.
  if (head.host !== '' && fields.get('HTTP_HOST') !== head.host) fields.set('HTTP_HOST', head.host);

  const conn = { address: facts.remoteAddress, port: facts.remotePort ?? 0, scheme: facts.scheme };
  const peer = facts.forwarded === null ? conn : resolveForwarded(h, conn, facts.forwarded);
  // '' tells the host to leave REMOTE_PORT out (a Unix-socket peer has none), unless a proxy's field named one.
  const remotePort = peer === conn && facts.remotePort === null ? '' : String(peer.port);

  let path = head.path;
  if (facts.rootPath !== '') {
    const root = facts.rootPath;
    // gunicorn / PEP 3333: the application is mounted at SCRIPT_NAME; a path
    // under it is split at a segment boundary, any other path is left whole.
    if (path === root || (path.startsWith(root) && path[root.length] === '/')) {
      path = path.slice(root.length);
      fields.set('RAW_URI', head.query === '' ? head.path : `${head.path}?${head.query}`);
    }
    fields.set('SCRIPT_NAME', root);
  }

  let serverName: string;
  let serverPort: string;
  if (head.host !== '') {
    const [name, port] = splitAuthority(head.host);
    serverName = name;
    if (port !== '') serverPort = port;
    else serverPort = peer.scheme === 'https' ? '443' : '80';
  } else {
    serverName = facts.localAddress;
    serverPort = String(facts.localPort);
  }
  const flags =
    (head.bodyKind === 'chunked' || head.contentLength > 0 ? 'b' : '') + (head.expectContinue ? 'c' : '') + (direct ? 'd' : '');
  // SERVER_PROTOCOL is the version we process the request as (HTTP/1.2 to
  // HTTP/1.9 are processed as HTTP/1.1, RFC 9110 2.5), not the digits the
  // client sent: applications compare it with "HTTP/1.1" to decide what the
  // connection can do, and CGI (RFC 3875 4.1.16) lets it differ from the
  // client's. The access log shows the same version.
  let out =
    head.method + '\0' + path + '\0' + head.query + '\0' + (head.http2 === true ? 'HTTP/2' : head.minorVersion === 1 ? 'HTTP/1.1' : 'HTTP/1.0') + '\0' +
    peer.address + '\0' + remotePort + '\0' + serverName + '\0' + serverPort + '\0' + peer.scheme + '\0' + flags;
  const { names, values } = fields;
  for (let i = 0; i < names.length; i++) if (names[i] !== '') out += '\0' + names[i] + '\0' + values[i];
  return out;
}
