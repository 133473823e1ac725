// What a worker knows about a connection's client before its first request:
// the socket's peer, or the client a PROXY protocol header named; whether the
// peer may speak for the client in X-Forwarded-* / Forwarded fields; the
// root path. The worker calls install() on its server and facts() on accept.
import type * as net from 'node:net';
import { AddressSet } from '../net/address-set';
import type { ForwardedPolicy } from '../http/forwarded';
import type { ListenerInfo, WorkerConfig } from '../ipc/contract';
import type { ConnectionFacts } from './environ';
import { ProxyStage } from './proxy-stage';

/** A PROXY header that takes longer than this (or the header timeout, if shorter) to arrive closes the connection. */
const PROXY_HEADER_DEADLINE_MS = 5000;

export class ClientFacts {
  private readonly forwarded: ForwardedPolicy;
  private readonly proxyStage: ProxyStage | undefined;

  constructor(private readonly config: WorkerConfig) {
    this.forwarded = { trusted: AddressSet.of(config.forwardedAllowIps), remoteAddr: config.remoteAddrFromForwarded };
    this.proxyStage = config.proxyProtocol
      ? new ProxyStage({
          allowed: AddressSet.of(config.proxyAllowIps),
          headerDeadlineMs: Math.min(PROXY_HEADER_DEADLINE_MS, config.headerTimeoutMs),
          idleMs: config.idleTimeoutMs,
        })
      : undefined;
  }

  /** With --proxy-protocol, every connection of `server` (a tls.Server when `tls`) first goes through the PROXY pre-stage. */
  install(server: net.Server, listener: ListenerInfo, tls: boolean): void {
    // A peer on our Unix socket is local, so trusted like loopback (gunicorn).
    // Decided by the listener, not inferred from a missing address: a TCP
    // peer that reset at once has no address either, and must stay untrusted.
    this.proxyStage?.install(server, () => listener.kind === 'unix', tls);
  }

  /** The client's address for logs: the one a PROXY header named, else the socket's peer. */
  clientAddress(socket: net.Socket): string {
    return this.proxyStage?.clientOf(socket)?.address ?? socket.remoteAddress ?? '-';
  }

  facts(socket: net.Socket, scheme: 'http' | 'https', listener: ListenerInfo): ConnectionFacts {
    const proxied = this.proxyStage?.clientOf(socket);
    const unixPeer = proxied === undefined && listener.kind === 'unix';
    const remoteAddress = proxied?.address ?? (unixPeer ? '' : (socket.remoteAddress ?? ''));
    return new SocketFacts(
      socket,
      listener,
      remoteAddress,
      proxied?.port ?? (unixPeer ? null : (socket.remotePort ?? 0)),
      proxied?.ssl === true ? 'https' : scheme,
      scheme === 'https',
      // Decided once per connection.
      unixPeer || this.forwarded.trusted.has(remoteAddress) ? this.forwarded : null,
      this.config.rootPath,
    );
  }
}

/**
 * One connection's facts. A class rather than an object literal with
 * getters: one is made per connection, and a literal's getters would be two
 * new closures each time.
 */
class SocketFacts implements ConnectionFacts {
  constructor(
    private readonly socket: net.Socket,
    private readonly listener: ListenerInfo,
    readonly remoteAddress: string,
    readonly remotePort: number | null,
    readonly scheme: 'http' | 'https',
    readonly tls: boolean,
    readonly forwarded: ForwardedPolicy | null,
    readonly rootPath: string,
  ) {}

  // A Unix-socket peer has no address: REMOTE_ADDR is '' and REMOTE_PORT is
  // left out (gunicorn does the same); SERVER_NAME, when no Host names the
  // server, is the socket's path (gunicorn's choice too), 'localhost' for
  // an inherited socket whose path we do not know, and SERVER_PORT the
  // scheme's port. Asked only for a request without a Host field:
  // getsockname(2) would be a system call per connection otherwise wasted.
  get localAddress(): string {
    const listener = this.listener;
    if (listener.kind === 'unix') return listener.path === '' ? 'localhost' : listener.path;
    return this.socket.localAddress ?? '';
  }

  get localPort(): number {
    if (this.listener.kind === 'unix') return this.tls ? 443 : 80;
    return this.socket.localPort ?? 0;
  }
}
