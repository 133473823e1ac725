// h2c with prior knowledge (RFC 9113 3.3): on a plain-TCP port that also
// serves HTTP/1.1, a connection is HTTP/2 when it opens with the client
// connection preface. We read until the bytes match the preface or cannot
// (one byte settles nearly every HTTP/1.1 request), put them back, and say
// which. No "Upgrade: h2c" (RFC 9113 dropped it).
import type { Socket } from 'node:net';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** 'h2': the preface is complete; 'http1': these bytes cannot begin it; 'more': a prefix of it so far. */
export function classify(received: Buffer): 'h2' | 'http1' | 'more' {
  const n = Math.min(received.length, PREFACE.length);
  if (received.compare(PREFACE, 0, n, 0, n) !== 0) return 'http1';
  return n === PREFACE.length ? 'h2' : 'more';
}

/**
 * Calls `decide` once, with the bytes read put back on the (paused) socket;
 * or never, when the socket closes or `timeoutMs` passes first (then it is
 * destroyed: a client that sends nothing, or half a preface, is idle).
 */
export function sniffPreface(socket: Socket, timeoutMs: number, decide: (kind: 'h2' | 'http1') => void): void {
  let received: Buffer = Buffer.alloc(0);
  const timer = timeoutMs > 0 ? setTimeout(() => stop() && socket.destroy(), timeoutMs) : undefined;
  const stop = (): boolean => {
    if (timer !== undefined) clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('close', onGone);
    socket.removeListener('error', onGone);
    socket.removeListener('end', onEnd);
    return true;
  };
  const onData = (chunk: Buffer): void => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const kind = classify(received);
    if (kind === 'more') return;
    stop();
    socket.pause();
    socket.unshift(received);
    decide(kind);
  };
  const onGone = (): void => {
    stop();
    socket.destroy();
  };
  // Undecided at the client's FIN: nothing, or half a preface, was sent; neither is a request.
  const onEnd = onGone;
  socket.on('data', onData);
  socket.on('close', onGone);
  socket.on('error', onGone);
  socket.on('end', onEnd);
}
