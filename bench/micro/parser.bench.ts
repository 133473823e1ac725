// Micro-benchmark of the request parser (src/http/parser.ts): nanoseconds per
// complete parse (head + body + end) of a typical GET, a POST with a
// Content-Length body and a chunked POST, each arriving in one chunk.
// Run: node dist/bench/micro/parser.bench.js   (about 2 s)
import { RequestParser } from '../../src/http/parser';

const CASES: ReadonlyArray<readonly [string, Buffer]> = [
  [
    'GET, 5 headers (~200 B)',
    Buffer.from(
      'GET /api/v1/items?page=2&sort=name HTTP/1.1\r\n' +
        'Host: www.example.com\r\n' +
        'User-Agent: Mozilla/5.0 (X11; Linux x86_64) bench/1.0\r\n' +
        'Accept: application/json\r\n' +
        'Accept-Encoding: gzip, deflate\r\n' +
        'Connection: keep-alive\r\n\r\n',
      'latin1',
    ),
  ],
  [
    'POST, Content-Length 64',
    Buffer.from(
      'POST /submit HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\n' +
        'Content-Length: 64\r\n\r\n' + 'x'.repeat(64),
      'latin1',
    ),
  ],
  [
    'POST, chunked 3 x 16',
    Buffer.from(
      'POST /upload HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '10\r\n' + 'a'.repeat(16) + '\r\n10;ext=1\r\n' + 'b'.repeat(16) + '\r\n10\r\n' + 'c'.repeat(16) + '\r\n0\r\n\r\n',
      'latin1',
    ),
  ],
];

/** Parse `raw` to its end event `n` times on one parser (as on a keep-alive connection). */
function run(raw: Buffer, n: number): number {
  const parser = new RequestParser();
  let events = 0;
  for (let i = 0; i < n; i++) {
    parser.push(raw);
    for (let ev = parser.next(); ev !== null; ev = parser.next()) {
      events++;
      if (ev.kind === 'end') break;
      if (ev.kind === 'error') throw new Error(ev.error.detail);
    }
  }
  return events;
}

function main(): void {
  const budgetNs = 500e6; // per case
  for (const [name, raw] of CASES) {
    run(raw, 20000); // warm-up
    let n = 0;
    const t0 = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < budgetNs) {
      run(raw, 10000);
      n += 10000;
      elapsed = Number(process.hrtime.bigint() - t0);
    }
    const ns = elapsed / n;
    console.log(`${name.padEnd(28)} ${ns.toFixed(0).padStart(6)} ns/request  (${raw.length} B, ${((raw.length / ns) * 1000).toFixed(0)} MB/s)`);
  }
}

main();
