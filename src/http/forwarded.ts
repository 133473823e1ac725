// Who the client is and which scheme it used, when a trusted proxy says so:
// `Forwarded` (RFC 7239), X-Forwarded-For, X-Forwarded-Proto and
// X-Forwarded-Ssl. Pure: the request's fields and the peer in, the peer the
// environ reports out. The fields themselves always reach the application
// unchanged; this only decides whether they change REMOTE_ADDR, REMOTE_PORT
// and wsgi.url_scheme.
import type { AddressSet } from '../net/address-set';

export interface ForwardedPolicy {
  /** Peers whose forwarding fields are believed (a Unix-socket peer always is). */
  readonly trusted: AddressSet;
  /** Take REMOTE_ADDR/REMOTE_PORT from X-Forwarded-For / `Forwarded: for=` (opt-in). */
  readonly remoteAddr: boolean;
}

export interface Peer {
  /** '' for a Unix-socket peer (the caller decides that the peer is trusted: see ClientFacts). */
  readonly address: string;
  readonly port: number;
  readonly scheme: 'http' | 'https';
}

interface Element {
  readonly for?: string;
  readonly proto?: string;
}

/**
 * The peer as the application should see it. From an untrusted peer nothing
 * changes. Claims that contradict each other (X-Forwarded-Proto: https with
 * X-Forwarded-Ssl: off, or X-Forwarded-For and `Forwarded: for=` naming
 * different clients) change nothing either: a client may have injected one
 * of them through a proxy that sets only the other.
 */
export function resolveForwarded(headers: readonly string[], peer: Peer, policy: ForwardedPolicy): Peer {
  if (peer.address !== '' && !policy.trusted.has(peer.address)) return peer;
  let forwarded: string | undefined;
  let xff: string | undefined;
  let xfp: string | undefined;
  let xfs: string | undefined;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1] as string;
    // RFC 9110 5.3: repeated fields are one list, in order.
    if (name === 'forwarded') forwarded = forwarded === undefined ? value : `${forwarded},${value}`;
    else if (name === 'x-forwarded-for') xff = xff === undefined ? value : `${xff},${value}`;
    else if (name === 'x-forwarded-proto') xfp = xfp === undefined ? value : `${xfp},${value}`;
    else if (name === 'x-forwarded-ssl') xfs = value; // a flag, not a list: the last one counts
  }
  if (forwarded === undefined && xff === undefined && xfp === undefined && xfs === undefined) return peer;

  const trusted = policy.trusted;
  const hop = forwarded === undefined ? undefined : clientElement(parseForwarded(forwarded), trusted);
  // Every claim must name the same scheme; undefined: no claim yet, null: a conflict or a scheme we do not know.
  let claimed: string | null | undefined;
  const claim = (value: string): void => {
    claimed = claimed === undefined || claimed === value ? value : null;
  };
  if (hop?.proto !== undefined) claim(hop.proto.toLowerCase());
  if (xfp !== undefined) claim(lastItem(xfp).toLowerCase());
  if (xfs !== undefined) claim(xfs.trim().toLowerCase() === 'on' ? 'https' : 'http');
  const scheme = claimed === 'http' || claimed === 'https' ? claimed : peer.scheme;

  let address = peer.address;
  let port = peer.port;
  if (policy.remoteAddr) {
    const fromForwarded = hop?.for === undefined ? undefined : nodeAddress(hop.for, trusted);
    const fromXff = xff === undefined ? undefined : clientOfList(xff, trusted);
    // Both fields present: they must name the same client.
    const client = fromForwarded === undefined ? fromXff
      : fromXff === undefined || (fromXff !== null && fromForwarded !== null && fromXff.address === fromForwarded.address && fromXff.port === fromForwarded.port)
        ? fromForwarded : null;
    if (client !== null && client !== undefined) {
      address = client.address;
      port = client.port;
    }
  }
  if (scheme === peer.scheme && address === peer.address && port === peer.port) return peer;
  return { address, port, scheme };
}

/** RFC 7239 4: walk from the nearest hop back past trusted proxies; the first other hop is the client's. */
function clientElement(elements: readonly Element[] | null, trusted: AddressSet): Element | undefined {
  if (elements === null || elements.length === 0) return undefined;
  let i = elements.length - 1;
  while (i > 0) {
    const node = nodeAddress(elements[i]?.for ?? '', trusted);
    if (node === null || !node.trusted) break;
    i--;
  }
  return elements[i];
}

/** X-Forwarded-For: the rightmost entry that is not a trusted proxy (the leftmost if all are). Null: not an address. */
function clientOfList(list: string, trusted: AddressSet): Node | null {
  const entries = list.split(',');
  for (let i = entries.length - 1; i >= 0; i--) {
    const node = nodeAddress((entries[i] ?? '').trim(), trusted);
    if (node === null) return null;
    if (i === 0 || !node.trusted) return node;
  }
  return null;
}

function lastItem(list: string): string {
  return list.slice(list.lastIndexOf(',') + 1).trim();
}

interface Node {
  readonly address: string;
  /** 0 when the field gives none. */
  readonly port: number;
  /** In the trusted set: a proxy, not the client. */
  readonly trusted: boolean;
}

/**
 * A node as RFC 7239 6 writes it (`192.0.2.43`, `192.0.2.43:47011`,
 * `[2001:db8::17]`, `[2001:db8::17]:4711`), or a bare IPv6 address as
 * X-Forwarded-For carries it; port 0 when absent. Null for `unknown`,
 * obfuscated identifiers and anything else.
 */
function nodeAddress(text: string, trusted: AddressSet): Node | null {
  let host = text;
  let portText = '';
  if (text.charCodeAt(0) === 91 /* [ */) {
    const close = text.indexOf(']');
    if (close < 0) return null;
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return null;
      portText = rest.slice(1);
    }
  } else {
    const colon = text.indexOf(':');
    if (colon >= 0 && colon === text.lastIndexOf(':')) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  if (host.includes('%')) return null;
  const membership = trusted.classify(host);
  if (membership === 'invalid') return null;
  let port = 0;
  if (portText !== '') {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return null;
    port = Number(portText);
  }
  return { address: host, port, trusted: membership === 'in' };
}

/** RFC 7239 4: `forwarded-element *( "," forwarded-element )`, pairs split by ';'. Null when malformed. */
export function parseForwarded(value: string): Element[] | null {
  const elements: Element[] = [];
  let current: { for?: string; proto?: string } = {};
  let i = 0;
  const n = value.length;
  const skipSpace = (): void => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  for (;;) {
    skipSpace();
    if (i < n && value[i] !== ',' && value[i] !== ';') {
      const eq = value.indexOf('=', i);
      if (eq < 0) return null;
      const name = value.slice(i, eq).trim().toLowerCase();
      if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) return null;
      i = eq + 1;
      let v = '';
      if (value[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) return null;
          const c = value[i] as string;
          if (c === '"') break;
          if (c === '\\') i++;
          if (i >= n) return null;
          v += value[i];
          i++;
        }
        i++;
      } else {
        const start = i;
        while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(value[i] as string)) i++;
        v = value.slice(start, i);
        if (v === '') return null;
      }
      // 4: a parameter repeated in one element makes the element invalid.
      if ((name === 'for' && current.for !== undefined) || (name === 'proto' && current.proto !== undefined)) return null;
      if (name === 'for') current.for = v;
      else if (name === 'proto') current.proto = v;
      skipSpace();
    }
    if (i >= n) {
      elements.push(current);
      return elements;
    }
    if (value[i] === ';') {
      i++;
      continue;
    }
    if (value[i] === ',') {
      elements.push(current);
      current = {};
      i++;
      continue;
    }
    return null;
  }
}
