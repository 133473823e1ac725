// Malformed HTTP/2 and the known attacks, sent frame by frame by
// test/support/h2probe.py (python3-h2's hyperframe and hpack): each is
// answered with RFC 9113's stream or connection error, or a 4xx, and never
// reaches the application with a wrong interpretation; the server keeps
// serving. Run on Node 20 and 24 (node:http2's nghttp2 and its mitigations
// differ between them): PATH=/opt/nodes/n24/node_modules/.bin:$PATH.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type RunningServer } from '../support/server';
import { curl, probe, H2_ERROR, type ProbeResult } from '../support/h2-clients';

const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-h2-attacks-'));
const ACCESS = path.join(DIR, 'access.log');
const MAX_STREAMS = 5;
let server: RunningServer;

before(async () => {
  server = await startServer('h2_app:app', {
    args: ['--http2', '--no-threads', '4', '--http2-max-concurrent-streams', String(MAX_STREAMS), '--access-log', ACCESS],
  });
});
after(async () => {
  await server.stop();
});

/** Access-log lines so far, once the log had time to flush. */
async function accessLines(): Promise<string[]> {
  await new Promise((r) => setTimeout(r, 300));
  return fs.existsSync(ACCESS) ? fs.readFileSync(ACCESS, 'utf8').split('\n').filter((l) => l !== '') : [];
}

async function stillServing(): Promise<void> {
  const r = await curl(['--http2-prior-knowledge', '-w', '%{http_code}', '-o', '/dev/null', `http://127.0.0.1:${server.port}/echo`]);
  assert.equal(r.stdout, '200', `the server no longer serves: ${r.stderr}`);
}

function resetOf(r: ProbeResult, stream: number): number | undefined {
  return r.frames.find((f) => f.type === 'RSTSTREAM' && f.stream === stream)?.error;
}

function goAway(r: ProbeResult): { error?: number; last?: number } | undefined {
  return r.frames.find((f) => f.type === 'GOAWAY');
}

test('a well-formed request through the probe is answered 200 (the probe itself is sound)', async () => {
  const r = await probe(server.port, 'ok');
  assert.equal(r.frames[0]?.status, '200');
  assert.equal(r.alive, true);
});

// RFC 9113 8.1.1 / 8.2 / 8.3: malformed requests are stream errors of type PROTOCOL_ERROR.
for (const [scenario, what] of [
  ['unknown-pseudo', 'an unknown pseudo-header field'],
  ['uppercase', 'an uppercase field name'],
  ['connection-field', 'a connection-specific field (connection: keep-alive)'],
  ['te-gzip', 'TE other than "trailers"'],
  ['missing-path', 'a request without :path'],
  ['pseudo-after-regular', 'a pseudo-header field after a regular one'],
] as const) {
  test(`${what}: RST_STREAM PROTOCOL_ERROR, the app never sees it, the connection lives on`, async () => {
    const before = (await accessLines()).length;
    const r = await probe(server.port, scenario);
    assert.equal(resetOf(r, 1), H2_ERROR.PROTOCOL_ERROR, JSON.stringify(r));
    assert.equal(r.frames.some((f) => f.type === 'HEADERS'), false);
    assert.equal(r.alive, true);
    assert.equal((await accessLines()).length, before, 'no exchange began');
  });
}

test('content-length that disagrees with the DATA frames (short or long): RST_STREAM PROTOCOL_ERROR, no response', async () => {
  for (const scenario of ['cl-short', 'cl-long']) {
    const r = await probe(server.port, scenario);
    // Node 20's nghttp2 resets the stream (RFC 9113 8.1.1); Node 24 ends the whole connection for DATA past the
    // content-length (GOAWAY INTERNAL_ERROR): stricter, and the request still never completes.
    const reset = resetOf(r, 1) === H2_ERROR.PROTOCOL_ERROR;
    assert.ok(reset || goAway(r) !== undefined, `${scenario}: ${JSON.stringify(r)}`);
    assert.equal(r.frames.some((f) => f.type === 'HEADERS'), false, scenario);
    if (reset) assert.equal(r.alive, true);
  }
  // The app's read ended in an incomplete body, never in a wrong one: no 200 was logged for them.
  const lines = (await accessLines()).filter((l) => l.includes('"POST /echo HTTP/2.0"'));
  assert.ok(lines.length > 0);
  for (const line of lines) assert.doesNotMatch(line, /HTTP\/2\.0" 200/);
});

test('a Host that differs from :authority is refused with 400 before the app (RFC 9113 8.3.1), and logged', async () => {
  const before = (await accessLines()).length;
  const r = await probe(server.port, 'host-mismatch');
  assert.equal(r.frames[0]?.status, '400');
  // Logged as HTTP/1.1 logs a refused request: no request line, the status sent.
  const lines = await accessLines();
  assert.equal(lines.length, before + 1);
  assert.match(lines.at(-1) ?? '', /"-" 400 /);
});

test('a header list over --max-header-size gets 431; more fields than node:http2 allows gets RST_STREAM ENHANCE_YOUR_CALM', async () => {
  const big = await probe(server.port, 'big-header', '66000'); // in CONTINUATION frames; under SETTINGS_MAX_HEADER_LIST_SIZE
  assert.equal(big.frames[0]?.status, '431', JSON.stringify(big));
  const huge = await probe(server.port, 'big-header', '200000'); // over SETTINGS_MAX_HEADER_LIST_SIZE
  assert.ok(huge.frames[0]?.status === '431' || resetOf(huge, 1) !== undefined || goAway(huge) !== undefined, JSON.stringify(huge));
  const many = await probe(server.port, 'many-headers', '300');
  assert.equal(resetOf(many, 1), H2_ERROR.ENHANCE_YOUR_CALM, JSON.stringify(many));
  const some = await probe(server.port, 'many-headers', '102'); // over --max-headers (100), within node's pairs
  assert.equal(some.frames[0]?.status, '431', JSON.stringify(some));
  await stillServing();
});

test(`streams beyond --http2-max-concurrent-streams (${MAX_STREAMS}) are refused with REFUSED_STREAM; the others are served`, async () => {
  const r = await probe(server.port, 'streams-over-limit', String(MAX_STREAMS + 5));
  const refused = r.frames.filter((f) => f.type === 'RSTSTREAM' && f.error === H2_ERROR.REFUSED_STREAM);
  const served = r.frames.filter((f) => f.type === 'HEADERS' && f.status === '200');
  assert.equal(refused.length, 5, JSON.stringify(r));
  assert.equal(served.length, MAX_STREAMS);
});

test('CONTINUATION flood (CVE-2024-27316 / CVE-2024-27983 class): the connection is ended early, the server keeps serving', async () => {
  const r = await probe(server.port, 'continuation-flood', '20000');
  assert.ok(r.closed || goAway(r) !== undefined, JSON.stringify(r));
  assert.ok((r.sent ?? 0) < 20000, `all ${r.sent} CONTINUATION frames were taken`);
  await stillServing();
});

test('rapid reset (CVE-2023-44487): a flood of HEADERS + RST_STREAM ends the connection with GOAWAY', async () => {
  const r = await probe(server.port, 'rapid-reset', '5000');
  const g = goAway(r);
  assert.ok(g !== undefined || r.closed, JSON.stringify(r));
  // nghttp2's reset rate limit (a burst of 1000, then 33/s): the session ends long before 5000 streams.
  if (g !== undefined) assert.ok((g.last ?? 0) < 2 * 2000, `last stream ${g.last}`);
  await stillServing();
});

for (const [scenario, what] of [
  ['settings-flood', 'SETTINGS flood'],
  ['ping-flood', 'PING flood'],
  ['empty-data-flood', 'empty DATA flood'],
] as const) {
  test(`${what}: the connection is ended, the server keeps serving`, async () => {
    const r = await probe(server.port, scenario);
    assert.ok(r.closed || goAway(r) !== undefined, JSON.stringify(r));
    assert.equal(r.alive, false);
    await stillServing();
  });
}
