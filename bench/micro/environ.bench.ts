// Micro-benchmark of the REQUEST payload builder (src/worker/environ.ts
// requestPayload): nanoseconds per request head turned into the NUL-separated
// CGI environ text, for wrk's minimal GET and a browser-like GET.
// Run: node dist/bench/micro/environ.bench.js   (about 1.5 s)
import { requestPayload, type ConnectionFacts } from '../../src/worker/environ';
import { measure } from './timing';
import { parseHead } from '../../test/support/request-heads';


const CASES: ReadonlyArray<readonly [string, string]> = [
  ['wrk GET, Host only', 'GET / HTTP/1.1\r\nHost: 127.0.0.1:8081\r\n\r\n'],
  [
    'browser GET, 9 headers',
    'GET /api/v1/items?page=2&sort=name HTTP/1.1\r\nHost: www.example.com\r\n' +
      'User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n' +
      'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n' +
      'Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n' +
      'Cookie: session=0123456789abcdef; theme=dark\r\nX-Forwarded-For: 10.0.0.1\r\n' +
      'X-Forwarded-For: 10.0.0.2\r\nConnection: keep-alive\r\n\r\n',
  ],
  ['POST, Content-Length 4096', 'POST /echo HTTP/1.1\r\nHost: 127.0.0.1:8081\r\nContent-Type: application/octet-stream\r\nContent-Length: 4096\r\n\r\n'],
];

function main(): void {
  const facts: ConnectionFacts = {
    remoteAddress: '127.0.0.1', remotePort: 54321, localAddress: '127.0.0.1', localPort: 8081, scheme: 'http', tls: false, forwarded: null, rootPath: '',
  };
  let chars = 0;
  for (const [name, raw] of CASES) {
    const head = parseHead(raw);
    measure(`requestPayload, ${name}`, 1000, () => {
      for (let i = 0; i < 1000; i++) chars += requestPayload(head, facts, true).length;
      return chars;
    }, 500);
  }
}

main();
