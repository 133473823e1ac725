// Differential test: generated valid requests are sent raw to a node:http
// server (llhttp) and parsed by our parser; both must agree on the method,
// the target, the header fields (lower-cased names, values, order), the
// body and the trailers.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseAll } from './corpus';
import { genRequest } from './gen-request';
import { Prng } from './prng';

const SEED = Number(process.env.PARSER_FUZZ_SEED ?? 7);
const COUNT = 300;

interface NodeView {
  readonly method: string;
  readonly url: string;
  readonly headers: string[];
  readonly body: Buffer;
  readonly trailers: string[];
}

const lowerNames = (raw: readonly string[]): string[] => raw.map((s, i) => (i % 2 === 0 ? s.toLowerCase() : s));

function send(port: number, raw: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(raw));
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer from node:http')));
    socket.on('data', () => undefined);
    socket.on('error', reject);
    socket.on('close', () => resolve());
  });
}

test('node:http and our parser agree on a few hundred generated requests', async () => {
  const seen = new Map<string, NodeView>();
  const refused = new Map<string, string>();
  let lastId = '';
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.set(String(req.headers['x-diff-id']), {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: lowerNames(req.rawHeaders),
        body: Buffer.concat(chunks),
        trailers: lowerNames(req.rawTrailers),
      });
      res.writeHead(200, { 'content-length': '2', connection: 'close' });
      res.end('ok');
    });
  });
  server.on('clientError', (err: Error, socket: net.Socket) => {
    refused.set(lastId, err.message);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const rnd = new Prng(SEED);
    for (let i = 0; i < COUNT; i++) {
      const id = String(i);
      lastId = id;
      const gen = genRequest(rnd, { nodeCompatible: true, extra: ['X-Diff-Id', id] });
      await send(port, gen.raw);
      const where = `seed ${SEED} request ${i}: ${JSON.stringify(gen.raw.toString('latin1').slice(0, 400))}`;
      const node = seen.get(id);
      assert.ok(node !== undefined, `${where}: node:http refused it (${refused.get(id) ?? 'no answer'})`);
      const ours = parseAll(gen.raw, []);
      assert.equal(ours.error, null, `${where}: ${ours.error?.code}`);
      const m = ours.messages[0];
      assert.ok(m !== undefined && ours.messages.length === 1, where);
      assert.equal(m.head.method, node.method, where);
      assert.equal(m.head.target, node.url, where);
      assert.deepEqual(m.head.headers, node.headers, where);
      assert.deepEqual(Buffer.concat(m.body), node.body, where);
      assert.deepEqual(m.trailers, node.trailers, where);
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
