// Micro-benchmark of response framing (src/http/response-writer.ts):
// ResponseWriter.head/data/end against a fake socket that only counts bytes,
// so this is the cost of building the head and choosing/applying the framing.
// Run: node dist/bench/micro/response-writer.bench.js   (about 2 s)
import type { Socket } from 'node:net';
import { ResponseWriter, type ResponseRequest } from '../../src/http/response-writer';
import { measure } from './timing';

class CountingSocket {
  bytes = 0;
  writes = 0;
  writableNeedDrain = false;
  write(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    this.writes++;
    return true;
  }
  cork(): void {}
  uncork(): void {}
}

const GET: ResponseRequest = { method: 'GET', minorVersion: 1, keepAlive: true };
const HELLO_HEAD = '200 OK\0Content-Type\0text/plain\0Content-Length\x0013';
const HELLO = Buffer.from('Hello, World!');
const STREAM_HEAD = '200 OK\0Content-Type\0application/octet-stream';
const CHUNK = Buffer.alloc(4096, 120);
const LARGE_HEAD = '200 OK\0Content-Type\0application/octet-stream\0Content-Length\x001048576';
const LARGE = Buffer.alloc(1 << 20, 120);

function main(): void {
  const sock = new CountingSocket();
  const socket = sock as unknown as Socket;
  measure('hello: head(13 B, complete) + end', 1000, () => {
    for (let i = 0; i < 1000; i++) {
      const w = new ResponseWriter(socket, GET, 'yimmo-wsgi');
      w.head(HELLO_HEAD, HELLO, true);
      w.end();
    }
    return sock.bytes;
  }, 600, 'response');
  measure('no Content-Length: head(13 B, complete) + end', 1000, () => {
    for (let i = 0; i < 1000; i++) {
      const w = new ResponseWriter(socket, GET, 'yimmo-wsgi');
      w.head('200 OK\0Content-Type\0text/plain', HELLO, true);
      w.end();
    }
    return sock.bytes;
  }, 400, 'response');
  measure('stream: head(4 KiB) + 15 x data(4 KiB), chunked', 100, () => {
    for (let i = 0; i < 100; i++) {
      const w = new ResponseWriter(socket, GET, 'yimmo-wsgi');
      w.head(STREAM_HEAD, CHUNK, false);
      for (let k = 0; k < 15; k++) w.data(CHUNK);
      w.end();
    }
    return sock.bytes;
  }, 600, 'response');
  measure('1 MiB: head(1 MiB, Content-Length) + end', 100, () => {
    for (let i = 0; i < 100; i++) {
      const w = new ResponseWriter(socket, GET, 'yimmo-wsgi');
      w.head(LARGE_HEAD, LARGE, true);
      w.end();
    }
    return sock.bytes;
  }, 400, 'response');
}

main();
