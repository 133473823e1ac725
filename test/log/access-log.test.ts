import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accessFields, compileAccessFormat, DEFAULT_ACCESS_FORMAT, escape, type AccessEntry } from '../../src/log/access-log';

const START = Date.UTC(2026, 11, 1, 9, 54, 1, 250);

function entry(over: Partial<AccessEntry> = {}): AccessEntry {
  return {
    remoteAddress: '10.0.0.7',
    remotePort: 51234,
    localAddress: '127.0.0.1',
    localPort: 8081,
    scheme: 'http',
    headParsed: true,
    method: 'GET',
    target: '/a%20b/c?x=1&y=2',
    path: '/a%20b/c',
    query: 'x=1&y=2',
    minorVersion: 1,
    requestHeaders: ['host', 'example.com', 'user-agent', 'curl/8', 'referer', 'http://r/', 'x-request-id', 'abc',
      'authorization', `Basic ${Buffer.from('alice:secret').toString('base64')}`],
    status: 200,
    bodyBytes: 1234,
    responseHead: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Trace: t-1\r\nContent-Length: 1234\r\n\r\n',
    startMs: START,
    durationUs: 1_234_567,
    pid: 4242,
    ...over,
  };
}

function render(format: string, e: AccessEntry = entry()): string {
  const compiled = compileAccessFormat(format);
  assert.ok(compiled.ok, compiled.ok ? '' : compiled.reason);
  return compiled.render(e);
}

describe('the access log format', () => {
  test('the default is the combined log format, as gunicorn writes it', () => {
    assert.match(render(DEFAULT_ACCESS_FORMAT),
      /^10\.0\.0\.7 - alice \[01\/Dec\/2026:\d\d:54:01 [+-]\d{4}\] "GET \/a%20b\/c\?x=1&y=2 HTTP\/1\.1" 200 1234 "http:\/\/r\/" "curl\/8"$/);
  });

  test('each atom renders its field', () => {
    const e = entry();
    assert.equal(render('%(h)s|%(l)s|%(u)s|%(m)s|%(U)s|%(q)s|%(H)s|%(s)s|%(B)s|%(b)s|%(f)s|%(a)s|%(p)s', e),
      '10.0.0.7|-|alice|GET|/a b/c|x=1&y=2|HTTP/1.1|200|1234|1234|http://r/|curl/8|<4242>');
  });

  test('durations: T whole seconds, M milliseconds, D microseconds, L decimal seconds', () => {
    assert.equal(render('%(T)s %(M)s %(D)s %(L)s'), '1 1234 1234567 1.234567');
    assert.equal(render('%(T)s %(M)s %(D)s %(L)s', entry({ durationUs: 999 })), '0 0 999 0.000999');
    // A sub-microsecond duration (the monotonic clock's): the four agree on its whole microseconds.
    assert.equal(render('%(T)s %(M)s %(D)s %(L)s', entry({ durationUs: 3_499.7 })), '0 3 3500 0.003500');
    assert.equal(render('%(T)s %(M)s %(D)s %(L)s', entry({ durationUs: 999_999.6 })), '1 1000 1000000 1.000000');
  });

  test('headers and environ variables are looked up case-insensitively; missing ones are -', () => {
    assert.equal(render('%({X-Request-ID}i)s %({x-trace}o)s %({content-type}o)s %({missing}i)s %({nope}o)s'),
      'abc t-1 text/plain - -');
    assert.equal(render('%({REQUEST_METHOD}e)s %({query_string}e)s %({HTTP_USER_AGENT}e)s %({RAW_URI}e)s %({unknown}e)s'),
      'GET x=1&y=2 curl/8 /a%20b/c?x=1&y=2 -');
  });

  test('no response yet: status -, no body: b is - and B is 0', () => {
    assert.equal(render('%(s)s %(b)s %(B)s', entry({ status: 0, bodyBytes: 0, responseHead: '' })), '- - 0');
  });

  test('%% is a percent sign and %(x)d is accepted as in Python', () => {
    assert.equal(render('100%% %(s)d'), '100% 200');
  });

  test('values from the request are escaped: a header cannot end the line or a quoted field', () => {
    const e = entry({ requestHeaders: ['user-agent', 'evil"\\ \x1b[31m \x85 \u2028 ok'] });
    assert.equal(render('"%(a)s"', e), '"evil\\"\\\\ \\x1b[31m \\x85 \\u2028 ok"');
    assert.equal(escape('plain text'), 'plain text');
  });

  test('a compiled format names its atoms (the worker times requests finely only for D, L, M)', () => {
    const compiled = compileAccessFormat('%(h)s %%(D)s %({x-id}i)s %(L)s');
    assert.ok(compiled.ok);
    assert.deepEqual(compiled.atoms, ['h', '{x-id}i', 'L']);
  });

  test('an unknown atom is an error naming it', () => {
    const compiled = compileAccessFormat('%(h)s %(zz)s');
    assert.ok(!compiled.ok);
    assert.match(compiled.reason, /unknown atom '%\(zz\)s'/);
  });

  test('malformed formats are errors that say what is wrong', () => {
    for (const [format, expected] of [
      ['50% off', /lone '%' at position 3/],
      ['%(h', /unterminated atom/],
      ['%(h)x', /must be followed by s/],
      ['%({x}q)s', /unknown atom/],
    ] as const) {
      const compiled = compileAccessFormat(format);
      assert.ok(!compiled.ok, format);
      assert.match(compiled.reason, expected, format);
    }
  });

  test('the JSON fields carry the same facts, unescaped', () => {
    const fields = accessFields(entry({ requestHeaders: ['user-agent', 'a"b'] }));
    assert.equal(fields['user_agent'], 'a"b');
    assert.equal(fields['status'], 200);
    assert.equal(fields['duration_us'], 1234567);
    assert.equal(fields['path'], '/a b/c');
    assert.equal(fields['user'], null);
  });
});

test('a request that never had a complete head is logged with "-" as its request line', () => {
  const compiled = compileAccessFormat(DEFAULT_ACCESS_FORMAT);
  assert.ok(compiled.ok);
  const line = compiled.render(entry({ headParsed: false, method: '-', target: '-', requestHeaders: [], status: 408, bodyBytes: 0 }));
  assert.match(line, / "-" 408 - "-" "-"$/);
  assert.equal(accessFields(entry({ headParsed: false })).request, null);
});
