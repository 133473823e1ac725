// The fallback when listening handles cannot be shared with workers
// (src/supervisor/listen-handle.ts): the supervisor accepts every connection
// and sends it to the serving worker with the fewest open connections. It
// costs one IPC hop per connection, but the socket still outlives workers:
// connections that arrive while no worker serves wait here (bounded by the
// backlog) for the next one.
import * as net from 'node:net';
import type { Bind } from './listen-handle';

export interface DealTarget {
  /** Connections sent to this worker and not yet reported closed. */
  open: number;
  /** Sends the socket; false if the worker's channel is gone. */
  deal(socket: net.Socket): boolean;
}

export class Dealer {
  private readonly servers: net.Server[] = [];
  private readonly waiting: net.Socket[] = [];

  constructor(
    private readonly targets: () => Iterable<DealTarget>,
    private readonly backlog: number,
  ) {}

  /** Listens on every bind; resolves with the ports bound, rejects with the first error (code set). */
  async listen(binds: readonly Bind[]): Promise<number[]> {
    const ports: number[] = [];
    for (const bind of binds) {
      const server = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.offer(socket));
      this.servers.push(server);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: bind.host, port: bind.port, backlog: this.backlog }, () => {
            server.off('error', reject);
            resolve((server.address() as net.AddressInfo).port);
          });
        }),
      );
    }
    return ports;
  }

  private offer(socket: net.Socket): void {
    if (socket.listenerCount('error') === 0) socket.on('error', () => socket.destroy());
    if (this.give(socket)) return;
    if (this.waiting.length >= this.backlog) return void socket.destroy();
    this.waiting.push(socket);
  }

  private give(socket: net.Socket): boolean {
    let best: DealTarget | undefined;
    for (const target of this.targets()) if (best === undefined || target.open < best.open) best = target;
    if (best === undefined) return false;
    best.open++;
    if (best.deal(socket)) return true;
    best.open--;
    return false;
  }

  /** Connections sent to a worker that died before it took them: dealt again. */
  redeal(sockets: readonly net.Socket[]): void {
    for (const socket of sockets) if (!socket.destroyed) this.offer(socket);
  }

  /** A worker started serving: hand it the connections that waited. */
  flush(): void {
    while (this.waiting.length > 0) {
      const socket = this.waiting[0] as net.Socket;
      if (socket.destroyed) {
        this.waiting.shift();
        continue;
      }
      if (!this.give(socket)) return;
      this.waiting.shift();
    }
  }

  close(): void {
    for (const server of this.servers) server.close();
    for (const socket of this.waiting.splice(0)) socket.destroy();
  }
}
