// Passing client sockets to the Python host for direct writes
// (docs/protocol.md "Direct writes"). Node can pass a descriptor to another
// process only over its IPC channel, and only by relying on internals: the
// socket's `_handle`, the NODE_HANDLE / NODE_HANDLE_ACK messages the host
// speaks by hand. Everything that depends on them is in this module, so a
// Node release that changes them breaks one place, and the start-up probe
// (probeHandOver) notices: direct writes are then never offered, and a
// hand-over that fails later falls back to the bridge (DIRECT_REFUSED).
import type { ChildProcess } from 'node:child_process';
import * as net from 'node:net';

/** The raw handle of `socket` when Node can send it as a descriptor (TCP or pipe; TLS wraps are not). */
function passableHandle(socket: net.Socket): net.Socket | undefined {
  const handle = (socket as unknown as { _handle?: unknown })._handle;
  const name = (handle as { constructor?: { name?: string } } | undefined)?.constructor?.name;
  // The raw handle is sent, not the net.Socket, so that Node treats the send
  // as a plain descriptor copy and the connection stays ours.
  return name === 'TCP' || name === 'Pipe' ? (handle as net.Socket) : undefined;
}

/** Sends `handle` with `message`; resolves once Node has written it to the channel. */
function sendHandle(child: ChildProcess, message: object, handle: net.Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      child.send(message, handle, {}, (error) => (error === null ? resolve() : reject(error)));
    } catch (err) {
      reject(err as Error);
    }
  });
}

/** Readies a freshly spawned host's IPC channel: it must neither keep the worker alive nor go unread. */
export function prepareChannel(child: ChildProcess): void {
  child.channel?.unref();
  child.on('message', () => {}); // the host sends only handle ACKs, which Node consumes itself
}

/**
 * Proves at start-up that handles reach the host and arrive usable: two
 * connected loopback TCP sockets are handed over (the second one goes out
 * only after the host acknowledged the first, so the ACK is checked too),
 * and the host writes each probe's token back through the socket it got.
 * Resolves undefined when it worked, else with the reason; never rejects.
 */
export function probeHandOver(child: ChildProcess, timeoutMs: number): Promise<string | undefined> {
  if (!child.connected) return Promise.resolve('the IPC channel is closed');
  const tokens = ['yimmo-probe-1', 'yimmo-probe-2'];
  const opened: net.Socket[] = [];
  const server = net.createServer({ pauseOnConnect: true });
  return new Promise<string | undefined>((resolve) => {
    let settled = false;
    const finish = (reason: string | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      server.close();
      for (const socket of opened) socket.destroy();
      resolve(reason);
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
    let received = '';
    server.on('error', (err) => finish(`cannot open a loopback socket: ${err.message}`));
    let accepted = 0;
    server.on('connection', (ours: net.Socket) => {
      opened.push(ours);
      ours.on('error', () => undefined);
      const token = tokens[accepted++];
      if (token === undefined) return;
      const handle = passableHandle(ours);
      if (handle === undefined) return finish('a TCP socket has no passable handle');
      sendHandle(child, { probe: token }, handle).catch((err: Error) => finish(`cannot send a handle: ${err.message}`));
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      for (let i = 0; i < tokens.length; i++) {
        const client = net.connect(port, '127.0.0.1');
        opened.push(client);
        client.on('error', (err) => finish(`loopback socket failed: ${err.message}`));
        client.setEncoding('latin1');
        client.on('data', (text: string) => {
          received += text;
          if (tokens.every((t) => received.includes(`${t}\n`))) finish(undefined);
        });
      }
    });
  });
}

/** The socket has no handle Node can pass (a TLS wrap, a closed socket): this socket's problem only. */
export class UnpassableSocket extends Error {}

/**
 * The client sockets shared with one host, by the ID the host knows them by.
 * A socket is sent once per connection; when it closes, `forget` tells the
 * host to close its copy.
 */
export class SocketPasser {
  private readonly passed = new Map<net.Socket, { readonly id: number; readonly sent: Promise<number> }>();
  private nextId = 1;

  constructor(
    private readonly child: ChildProcess,
    private readonly forget: (id: number) => void,
  ) {}

  /**
   * Resolves with the socket's ID once the host can have it (Node wrote it
   * to the channel); rejects when it cannot be sent. Callers bound the wait:
   * a host that stopped acknowledging handles leaves it pending.
   */
  pass(socket: net.Socket): Promise<number> {
    const known = this.passed.get(socket);
    if (known !== undefined) return known.sent;
    const handle = passableHandle(socket);
    if (handle === undefined) return Promise.reject(new UnpassableSocket('not a plain TCP socket'));
    if (!this.child.connected) return Promise.reject(new Error('the IPC channel to the host is closed'));
    const id = this.nextId;
    this.nextId = id >= 0xffffffff ? 1 : id + 1;
    const sent = sendHandle(this.child, { c: id }, handle).then(() => id);
    this.passed.set(socket, { id, sent });
    sent.catch(() => {
      // Never sent: nothing for the host to forget; a later response may try again.
      if (this.passed.get(socket)?.id === id) this.passed.delete(socket);
    });
    socket.once('close', () => {
      if (this.passed.get(socket)?.id !== id) return;
      this.passed.delete(socket);
      this.forget(id);
    });
    return sent;
  }
}
