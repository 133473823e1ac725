// The PROXY protocol pre-stage (`--proxy-protocol`): runs on each raw socket
// before anything else sees it — before the TLS handshake and before the
// HTTP Connection — reads the header (src/http/proxy-protocol.ts), puts back
// the bytes after it, and only then lets the server's own 'connection'
// listeners run. A connection that fails here is closed without a byte of it
// reaching the parser or the application.
//
// Peers in `--proxy-allow-ips` must send a header (a missing or malformed one
// closes the connection). Other peers are served as direct clients, but one
// that starts with a PROXY header is refused: it is forging its address.
import type * as net from 'node:net';
import { mayBeProxyHeader, parseProxyHeader } from '../http/proxy-protocol';
import type { AddressSet } from '../net/address-set';
import { log } from '../log/logger';

export interface ProxyStageOptions {
  readonly allowed: AddressSet;
  /** Bound for a whole header from an allowed peer, from accept. */
  readonly headerDeadlineMs: number;
  /** Bound for a non-allowed peer's first bytes (as for any idle connection). */
  readonly idleMs: number;
}

export interface ProxiedClient {
  readonly address: string;
  readonly port: number;
  /** The client reached the proxy over TLS (v2 PP2_TYPE_SSL). */
  readonly ssl: boolean;
}

type Listener = (socket: net.Socket) => void;

export class ProxyStage {
  /** By the raw socket (plain TCP: the socket the Connection gets). */
  private readonly bySocket = new WeakMap<net.Socket, ProxiedClient>();
  /**
   * By the TCP 4-tuple: a tls.Server wraps the raw socket in a TLSSocket
   * that shares its endpoints but is another object, and Node offers no
   * public link from one to the other. The tuple is unique while the
   * connection lives; the entry goes when the raw socket closes.
   */
  private readonly byTuple = new Map<string, ProxiedClient>();
  /**
   * Whether a TLS server is installed (only its sockets need byTuple): the
   * tuple costs a getsockname(2), and a plain-TCP socket is found in bySocket
   * or is not proxied at all.
   */
  private tuples = false;

  constructor(private readonly options: ProxyStageOptions) {}

  /** Routes the server's connections through the stage: its existing 'connection' listeners run after the header. */
  install(server: net.Server, isUnixPeer: (socket: net.Socket) => boolean, tls: boolean): void {
    if (tls) this.tuples = true;
    const listeners = server.listeners('connection') as Listener[];
    server.removeAllListeners('connection');
    server.on('connection', (socket: net.Socket) =>
      this.run(socket, isUnixPeer(socket), tls, () => {
        for (const listener of listeners) listener.call(server, socket);
      }),
    );
  }

  /** The client a PROXY header named for this connection (plain or TLS socket); undefined: the socket's own peer. */
  clientOf(socket: net.Socket): ProxiedClient | undefined {
    const client = this.bySocket.get(socket);
    if (client !== undefined || !this.tuples || socket.remotePort === undefined) return client;
    return this.byTuple.get(tuple(socket));
  }

  private run(socket: net.Socket, unixPeer: boolean, tls: boolean, next: () => void): void {
    const peer = socket.remoteAddress ?? '';
    // A Unix-socket peer is local: as trusted as loopback (like gunicorn).
    const allowed = unixPeer || this.options.allowed.has(peer);
    let received: Buffer = Buffer.alloc(0);
    let finished = false;

    const finish = (): void => {
      finished = true;
      clearTimeout(timer);
      socket.removeListener('readable', onReadable);
      socket.removeListener('end', onEnd);
      socket.removeListener('error', onError);
    };
    const refuse = (reason: string): void => {
      finish();
      log.debug(`PROXY protocol: closing the connection from ${peer || 'a Unix socket'}: ${reason}`);
      socket.destroy();
    };
    const pass = (headerLength: number, client: ProxiedClient | null): void => {
      finish();
      if (client !== null) {
        this.bySocket.set(socket, client);
        if (tls && socket.remotePort !== undefined) {
          const key = tuple(socket);
          this.byTuple.set(key, client);
          socket.once('close', () => this.byTuple.delete(key));
        }
      }
      // What followed the header is the client's own stream (HTTP or a TLS ClientHello).
      if (received.length > headerLength) socket.unshift(received.subarray(headerLength));
      next();
    };
    const onReadable = (): void => {
      if (finished) return;
      for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      }
      if (!allowed) {
        if (!mayBeProxyHeader(received)) return pass(0, null);
        if (received.length >= 12 || parseProxyHeader(received).kind !== 'needMore') {
          return refuse('a PROXY header from a peer not in --proxy-allow-ips');
        }
        return;
      }
      const result = parseProxyHeader(received);
      if (result.kind === 'needMore') return;
      if (result.kind === 'error') return refuse(result.reason);
      const { header } = result;
      pass(header.length, header.source === null ? null : { ...header.source, ssl: header.ssl });
    };
    const onEnd = (): void => refuse('closed before the PROXY header was complete');
    const onError = (): void => refuse('socket error');
    const timer = setTimeout(
      () => refuse(allowed ? 'PROXY header not received in time' : 'no request in time'),
      allowed ? this.options.headerDeadlineMs : this.options.idleMs,
    );
    socket.on('readable', onReadable);
    socket.on('end', onEnd);
    socket.on('error', onError);
  }
}

function tuple(socket: net.Socket): string {
  return `${socket.remoteAddress ?? ''} ${socket.remotePort ?? ''} ${socket.localAddress ?? ''} ${socket.localPort ?? ''}`;
}
