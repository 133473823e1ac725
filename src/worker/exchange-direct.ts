// The direct hand-over (docs/protocol.md "Direct writes"): once the host
// offered DIRECT and the worker framed the HTTP head, the client socket is
// handed to the host (once per connection) and DIRECT_GO tells it to write.
// A hand-over that fails or does not complete in time is refused
// (DIRECT_REFUSED): the response then crosses the bridge as usual, so a
// broken hand-over costs speed, never the response.
import type { Socket } from 'node:net';
import type { Host } from '../bridge/host';
import { encodeDirectGoFrame } from '../bridge/protocol';

const EMPTY = Buffer.alloc(0);
/**
 * How long handing a socket over may take. Node writes it to the IPC
 * channel at once unless the host has not acknowledged the previous one:
 * seconds mean the host stopped acknowledging, and waiting longer will not
 * help. Never more than half the host's own wait for our answer, so that
 * DIRECT_REFUSED reaches it while it still listens.
 */
const HAND_OVER_TIMEOUT_MS = 5000;

function handOverTimeoutMs(host: Host): number {
  const hostWaits = host.info.workerTimeoutMs;
  return hostWaits > 0 ? Math.min(HAND_OVER_TIMEOUT_MS, hostWaits / 2) : HAND_OVER_TIMEOUT_MS;
}

export interface DirectHandOver {
  /** False once the response no longer needs the host's write (client gone, stream ended). */
  stillWanted(): boolean;
  /** The socket could not be handed over: answer DIRECT_REFUSED and take the body over the bridge. */
  refused(reason: string): void;
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
    let timer: NodeJS.Timeout | undefined;
    const bound = handOverTimeoutMs(host);
    const timedOut = new Error(`the socket was not passed within ${bound / 1000} s`);
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut), bound);
    });
    Promise.race([host.handOver(socket), late]).then(
      (id) => {
        clearTimeout(timer);
        if (target.stillWanted()) host.send(encodeDirectGoFrame(stream, id, head));
      },
      (error: Error) => {
        clearTimeout(timer);
        // A host that stopped acknowledging handles makes every later hand-over wait too.
        if (error === timedOut) host.stopDirect(error.message);
        if (target.stillWanted()) target.refused(error.message);
      },
    );
  };
  if (socket.writableLength === 0) go();
  else socket.write(EMPTY, go);
}
