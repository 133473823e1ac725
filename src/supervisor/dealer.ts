// The fallback when listening handles cannot be shared with workers
// (src/supervisor/listen-handle.ts): the supervisor accepts every connection
// and sends it to the serving worker with the fewest open connections. It
// costs one IPC hop per connection, but the socket still outlives workers:
// connections that arrive while no worker serves wait here (bounded by the
// backlog) for the next one.
import * as net from 'node:net';
import { applyUnixOptions, clearStaleSocket, inheritedUnixPath, type Bind, type UnixSocketOptions } from './listen-handle';
import type { ListenerInfo } from '../ipc/contract';

export interface DealTarget {
  /** Connections sent to this worker and not yet reported closed. */
  open: number;
  /** Sends the socket, accepted on bind `bind`; false if the worker's channel is gone. */
  deal(socket: net.Socket, bind: number): boolean;
}

export class Dealer {
  private readonly servers: net.Server[] = [];
  /** The bind being opened (for the caller's error message). */
  listening = 0;
  private readonly waiting: { readonly socket: net.Socket; readonly bind: number }[] = [];

  constructor(
    private readonly targets: () => Iterable<DealTarget>,
    private readonly backlog: number,
  ) {}

  /** Listens on every bind; resolves with each one's port (0 for Unix) and kind, rejects with the first error (code set). */
  async listen(binds: readonly Bind[], unix: UnixSocketOptions): Promise<{ port: number; address: string; info: ListenerInfo }[]> {
    const out: { port: number; address: string; info: ListenerInfo }[] = [];
    for (const [index, bind] of binds.entries()) {
      this.listening = index;
      const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.offer(socket, index));
      this.servers.push(server);
      if (bind.kind === 'unix') await clearStaleSocket(bind);
      const options = bind.kind === 'tcp' ? { host: bind.host, port: bind.port } : bind.kind === 'unix' ? { path: bind.path } : { fd: bind.fd };
      const address = await new Promise<net.AddressInfo | string | null>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ ...options, backlog: this.backlog }, () => {
          server.off('error', reject);
          resolve(server.address());
        });
      });
      if (bind.kind === 'unix') applyUnixOptions(bind, unix);
      // An inherited Unix socket has no address Node can read.
      if (typeof address === 'object' && address !== null) out.push({ port: address.port, address: address.address, info: { kind: 'tcp', noDelay: true } });
      else out.push({ port: 0, address: '', info: { kind: 'unix', path: bind.kind === 'unix' ? bind.path : bind.kind === 'fd' ? inheritedUnixPath(bind.fd) : '' } });
    }
    return out;
  }

  private offer(socket: net.Socket, bind: number): void {
    if (socket.listenerCount('error') === 0) socket.on('error', () => socket.destroy());
    if (this.give(socket, bind)) return;
    if (this.waiting.length >= this.backlog) return void socket.destroy();
    this.waiting.push({ socket, bind });
  }

  private give(socket: net.Socket, bind: number): boolean {
    let best: DealTarget | undefined;
    for (const target of this.targets()) if (best === undefined || target.open < best.open) best = target;
    if (best === undefined) return false;
    best.open++;
    if (best.deal(socket, bind)) return true;
    best.open--;
    return false;
  }

  /** Connections sent to a worker that died before it took them: dealt again. */
  redeal(sockets: readonly { readonly socket: net.Socket; readonly bind: number }[]): void {
    for (const { socket, bind } of sockets) if (!socket.destroyed) this.offer(socket, bind);
  }

  /** A worker started serving: hand it the connections that waited. */
  flush(): void {
    while (this.waiting.length > 0) {
      const { socket, bind } = this.waiting[0] as { socket: net.Socket; bind: number };
      if (socket.destroyed) {
        this.waiting.shift();
        continue;
      }
      if (!this.give(socket, bind)) return;
      this.waiting.shift();
    }
  }

  close(): void {
    for (const server of this.servers) server.close();
    for (const { socket } of this.waiting.splice(0)) socket.destroy();
  }
}
