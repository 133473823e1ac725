// Replays the request-parser corpus (test/http/corpus) against a live server
// whose application (test/apps/echo_request.py) echoes what it saw as JSON.
//
// - A case that ends in a protocol error: the complete requests before the
//   error are answered 200, then the error status arrives and the server
//   closes the connection.
// - A valid case: every request reaches the application with the method,
//   path, query, version, header fields and body the corpus expects; a probe
//   request sent afterwards on the same connection is answered as itself (so
//   no bytes were left over or swallowed: nothing was smuggled), unless the
//   last request asked to close, in which case the server closes.
//
// What the live server legitimately changes, and how it is handled:
// - The request-target is not passed verbatim: the application sees the path
//   (the path of an absolute-form target) and the query, and RAW_URI is
//   rebuilt from them, so "/?" arrives as "/" and "http://h/p?q" as "/p?q".
//   We compare path and query, not `target`.
// - Header fields reach the environ per PEP 3333 and docs/protocol.md: names
//   with "_" dropped, repeats joined with ", ", no CONTENT_LENGTH for a
//   chunked body, HTTP_HOST replaced by the authority of an absolute-form
//   target. The expected environ is derived from the corpus' fields by those
//   rules. Trailers never reach a WSGI application and are not compared.
// - A case whose input stops inside a request without an error (043, 044:
//   the body is incomplete) cannot be answered: the server rightly waits for
//   the rest. We only check that nothing is answered and the connection
//   stays open for a short while; the body the application would see is
//   unknown until the client sends the rest.
// - Requests after one whose Connection says close are never read by the
//   live server (RFC 9112 9.6); no corpus case has any, and the replay stops
//   at such a request and expects the close.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { loadCorpus, normalize, parseAll, type CorpusCase } from '../http/corpus';
import type { RequestHead } from '../../src/http/request-head';
import { Client, startServer, type RunningServer } from '../support/server';

interface Echo {
  method: string;
  path_info: string;
  raw_uri: string;
  query: string;
  protocol: string;
  headers: Record<string, string>;
  body: string;
}

const corpus = loadCorpus();
let server: RunningServer;

before(async () => {
  server = await startServer('echo_request:app', { args: ['-t', '2'] });
});
after(async () => {
  await server.stop();
});

/** The CGI/HTTP environ entries a head should produce (PEP 3333, docs/protocol.md). */
function expectedEnviron(head: RequestHead): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < head.headers.length; i += 2) {
    const name = head.headers[i] as string;
    const value = head.headers[i + 1] as string;
    if (name.includes('_')) continue;
    const key = name === 'content-type' ? 'CONTENT_TYPE' : name === 'content-length' ? 'CONTENT_LENGTH' : 'HTTP_' + name.toUpperCase().replace(/-/g, '_');
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  }
  if (head.bodyKind === 'chunked') delete out['CONTENT_LENGTH'];
  if (head.host !== '') out['HTTP_HOST'] = head.host;
  return out;
}

const PROBE = 'GET /__probe__?after HTTP/1.1\r\nHost: probe\r\n\r\n';

async function replay(c: CorpusCase): Promise<void> {
  // The parser's full heads (the corpus JSON holds only the fields each case
  // is about); the corpus test checks the parser against the JSON, and so do we.
  const parsed = parseAll(c.raw, []);
  assert.deepEqual(normalize(parsed, c.expected), c.expected, 'the parser disagrees with the corpus');
  const client = await Client.connect(server.port);
  try {
    client.write(c.raw);
    const complete = c.expected.messages.filter((m) => m.end !== false);
    let closing = false;
    for (let i = 0; i < complete.length; i++) {
      const want = complete[i]!;
      const head = parsed.messages[i]!.head;
      const r = await client.response({ timeoutMs: 5000, head: head.method === 'HEAD' });
      assert.equal(r.status, 200, `request ${i + 1}: status ${r.status}, body ${r.body.toString('latin1').slice(0, 200)}`);
      if (head.method !== 'HEAD') {
        const echo = JSON.parse(r.body.toString('utf8')) as Echo;
        assert.equal(echo.method, want.head['method'] ?? head.method, `request ${i + 1}: method`);
        assert.equal(echo.raw_uri, head.query === '' ? head.path : `${head.path}?${head.query}`, `request ${i + 1}: path`);
        assert.equal(echo.query, head.query, `request ${i + 1}: query`);
        assert.equal(echo.protocol, `HTTP/1.${head.minorVersion}`, `request ${i + 1}: version`);
        assert.deepEqual(echo.headers, expectedEnviron(head), `request ${i + 1}: header fields`);
        assert.equal(echo.body, want.body, `request ${i + 1}: body`);
      }
      if (!head.keepAlive) {
        assert.equal(r.header('connection'), 'close', `request ${i + 1}: asked to close`);
        closing = true;
        break;
      }
    }
    if (c.expected.status !== undefined) {
      const r = await client.response({ timeoutMs: 5000 });
      assert.equal(r.status, c.expected.status, `error status (corpus code ${c.expected.code})`);
      assert.ok(await client.closed(3000), 'the connection stayed open after the error');
    } else if (closing) {
      assert.ok(await client.closed(3000), 'the connection stayed open after Connection: close');
    } else if (c.expected.messages.length > complete.length) {
      // The input stops inside a request: nothing to answer yet.
      await assert.rejects(client.response({ timeoutMs: 300 }), /timed out/, 'a response to an incomplete request');
    } else {
      client.write(PROBE);
      const r = await client.response({ timeoutMs: 5000 });
      assert.equal(r.status, 200, 'probe after the case');
      assert.equal((JSON.parse(r.body.toString('utf8')) as Echo).raw_uri, '/__probe__?after', 'the probe was answered as something else');
    }
  } finally {
    client.close();
  }
}

test('the corpus is there to replay', () => {
  assert.ok(corpus.length >= 100, `only ${corpus.length} cases`);
});

for (const c of corpus) {
  const what = c.expected.status !== undefined ? `answers ${c.expected.status} and closes` : 'reaches the app as parsed';
  test(`live corpus ${c.name}: ${what}`, () => replay(c));
}

// Regression: fail() used to see the previous, finished exchange's writer as
// "started" and reset the connection instead of writing the error status.
test(
  'every error case sent as the second request of a keep-alive connection still gets its error status',
  async () => {
    const failures: string[] = [];
    let tried = 0;
    for (const c of corpus) {
      if (c.expected.status === undefined || c.expected.messages.length > 0) continue;
      tried++;
      const client = await Client.connect(server.port);
      try {
        client.write('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
        const first = await client.response({ timeoutMs: 5000 });
        if (first.status !== 200) throw new Error(`${c.name}: first request got ${first.status}`);
        client.write(c.raw);
        const status = await client.response({ timeoutMs: 5000 }).then(
          (r) => String(r.status),
          (err: Error) => (err.message.startsWith('connection closed') ? 'closed without a response' : err.message.slice(0, 60)),
        );
        if (status !== String(c.expected.status)) failures.push(`${c.name}: ${status} instead of ${c.expected.status}`);
      } finally {
        client.close();
      }
    }
    assert.equal(failures.length, 0, `${failures.length} of ${tried} error cases failed, e.g.\n${failures.slice(0, 5).join('\n')}`);
  },
);
