// The direct hand-over (docs/protocol.md "Direct writes"): once the host
// offered DIRECT and the worker framed the HTTP head, the client socket is
// handed to the host (once per connection) and DIRECT_GO tells it to write.
import type { Socket } from 'node:net';
import type { Host } from '../bridge/host';
import { encodeDirectGoFrame } from '../bridge/protocol';

const EMPTY = Buffer.alloc(0);

export interface DirectHandOver {
  /** False once the response no longer needs the host's write (client gone, stream ended). */
  stillWanted(): boolean;
  /** The socket could not be handed over; the response must be abandoned. */
  failed(error: Error): void;
}

/**
 * Hands `socket` to the host and sends DIRECT_GO with the framed `head`,
 * once everything already queued on the socket is out: the host's bytes must
 * follow an earlier pipelined response still queued (a write callback fires
 * in order).
 */
export function handOverForDirect(socket: Socket, host: Host, stream: number, head: Buffer, target: DirectHandOver): void {
  const go = (): void => {
    if (!target.stillWanted()) return;
    const id = host.handOver(socket, target.failed);
    if (id === undefined) return target.failed(new Error('not a plain TCP socket'));
    host.send(encodeDirectGoFrame(stream, id, head));
  };
  if (socket.writableLength === 0) go();
  else socket.write(EMPTY, go);
}
