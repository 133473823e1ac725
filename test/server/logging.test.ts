// The logs of a real server with a real app: --access-log to a file and to
// stdout, --error-log, --log-format json, the application's stderr
// attributed to its host, --check-config / --print-config, and the bad
// inputs that must stop the server before it binds.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { PYTHON, get, request, runCli, startServer } from '../support/server';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yw-logging-'));
const APP = 'logging_app:app';

/** Polls until `check` returns a value (not undefined), for at most `ms`. */
async function waitFor<T>(what: string, check: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function read(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

function linesOf(file: string, count: number): () => string[] | undefined {
  return () => {
    const lines = read(file).split('\n').filter((l) => l !== '');
    return lines.length >= count ? lines : undefined;
  };
}

describe('the access log', () => {
  test('--access-log FILE gets one line per request at the default level, in the chosen format', async () => {
    const file = path.join(dir, 'access.log');
    const format = '%(h)s "%(r)s" %(s)s %(b)s %({x-request-id}i)s %({x-trace}o)s %(D)s';
    const server = await startServer(APP, { args: ['--access-log', file, '--access-log-format', format] });
    try {
      assert.equal((await request(server.port, get('/one?q=1', 'X-Request-ID: rid-1\r\n'))).status, 200);
      assert.equal((await request(server.port, get('/two'))).status, 200);
      const lines = await waitFor('two access lines', linesOf(file, 2));
      assert.match(lines[0] ?? '', /^127\.0\.0\.1 "GET \/one\?q=1 HTTP\/1\.1" 200 7 rid-1 t-42 \d+$/);
      assert.match(lines[1] ?? '', /^127\.0\.0\.1 "GET \/two HTTP\/1\.1" 200 7 - t-42 \d+$/);
      // Independent of the level: nothing about requests in the server's own log.
      assert.doesNotMatch(server.output(), /GET \/one/);
    } finally {
      await server.stop();
    }
  });

  test('%(D)s, %(L)s and %(M)s have sub-millisecond resolution: a ~3.5 ms request is not a whole number of milliseconds', async () => {
    const file = path.join(dir, 'durations.log');
    const server = await startServer(APP, { args: ['--access-log', file, '--access-log-format', '%(U)s %(D)s %(L)s %(M)s %(T)s'] });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await request(server.port, get('/sleep'))).status, 200);
      const lines = await waitFor('three access lines', linesOf(file, 3));
      const ds: number[] = [];
      for (const line of lines) {
        const m = /^\/sleep (\d+) (\d+)\.(\d{6}) (\d+) (\d+)$/.exec(line);
        assert.ok(m !== null, line);
        const [d, seconds, micros, ms, whole] = m.slice(1).map(Number) as [number, number, number, number, number];
        assert.ok(d >= 3500, `the app slept 3.5 ms: ${line}`);
        // One duration, four units.
        assert.equal(seconds * 1e6 + micros, d, line);
        assert.equal(ms, Math.floor(d / 1000), line);
        assert.equal(whole, Math.floor(d / 1e6), line);
        ds.push(d);
      }
      // From a millisecond clock every D would be a multiple of 1000 (a chance of 1 in 1000 each from a fine one).
      assert.ok(ds.some((d) => d % 1000 !== 0), `D values: ${ds.join(' ')}`);
    } finally {
      await server.stop();
    }
  });

  test('the environ atoms of the connection: server and remote port (the server\'s address is asked only for such a format)', async () => {
    const file = path.join(dir, 'ports.log');
    const server = await startServer(APP, { args: ['--access-log', file, '--access-log-format', '%({server_port}e)s %({remote_port}e)s %(h)s'] });
    try {
      assert.equal((await request(server.port, get('/one', 'Connection: close\r\n'))).status, 200);
      const lines = await waitFor('one access line', linesOf(file, 1));
      assert.match(lines[0] ?? '', new RegExp(`^${server.port} \\d+ 127\\.0\\.0\\.1$`));
    } finally {
      await server.stop();
    }
  });

  test('--access-log - writes the default (combined) format to stdout', async () => {
    const server = await startServer(APP, { args: ['--access-log', '-'] });
    let stdout = '';
    server.child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    try {
      await request(server.port, get('/x', 'User-Agent: tester/1\r\nReferer: http://ref/\r\n'));
      const line = await waitFor('an access line on stdout', () => /^127\.0\.0\.1 - - \[.*$/m.exec(stdout)?.[0]);
      assert.match(line, /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET \/x HTTP\/1\.1" 200 5 "http:\/\/ref\/" "tester\/1"$/);
    } finally {
      await server.stop();
    }
  });
});

describe('exchanges that fail are in the access log too', () => {
  test('502 (the host died) and 504 (request timeout)', async () => {
    const file = path.join(dir, 'failures.log');
    const server = await startServer('behaviours:app', { args: ['--access-log', file, '--request-timeout', '1'] });
    try {
      const crashed = await request(server.port, get('/crash'));
      assert.equal(crashed.status, 502);
      const timedOut = await request(server.port, get('/sleep?3'), { timeoutMs: 10_000 });
      assert.equal(timedOut.status, 504);
      const lines = await waitFor('two access lines', linesOf(file, 2), 10_000);
      // The bytes are those of the canned bodies that actually left.
      assert.match(lines[0] ?? '', new RegExp(`"GET /crash HTTP/1\\.1" 502 ${crashed.body.length} "-" "-"$`));
      assert.match(lines[1] ?? '', new RegExp(`"GET /sleep\\?3 HTTP/1\\.1" 504 ${timedOut.body.length} "-" "-"$`));
    } finally {
      await server.stop();
    }
  });
});

describe('the error log', () => {
  test('--error-log FILE gets the server and application messages; stderr stays empty', async () => {
    const file = path.join(dir, 'error.log');
    const server = await startServer(APP, { args: ['--error-log', file] });
    let stderr = '';
    server.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      assert.equal((await request(server.port, get('/raise'))).status, 500);
      const text = await waitFor('the traceback in the error log', () => (/raised on purpose/.test(read(file)) ? read(file) : undefined));
      assert.match(text, /\[\d+\] ERROR application error in GET \/raise:\nTraceback \(most recent call last\):\n/);
    } finally {
      await server.stop();
    }
    assert.equal(stderr, '');
  });

  test('--log-format json: every line of both logs parses, a traceback is inside one record', async () => {
    const errors = path.join(dir, 'json-error.log');
    const access = path.join(dir, 'json-access.log');
    const server = await startServer(APP, { args: ['--log-format', 'json', '--error-log', errors, '--access-log', access] });
    try {
      await request(server.port, get('/raise'));
      await request(server.port, get('/stderr', 'User-Agent: a"b\x85c\r\n'));
      const errorLines = await waitFor('three error records', linesOf(errors, 3));
      const records = errorLines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const traceback = records.find((r) => String(r['message']).includes('raised on purpose'));
      assert.ok(traceback, errorLines.join('\n'));
      assert.equal(traceback['level'], 'ERROR');
      assert.match(String(traceback['message']), /^application error in GET \/raise:\nTraceback \(most recent call last\):\n[\s\S]*RuntimeError: raised on purpose$/);
      const accessLines = await waitFor('two access records', linesOf(access, 2));
      const entries = accessLines.map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(entries.map((e) => [e['type'], e['method'], e['path'], e['status']]), [
        ['access', 'GET', '/raise', 500],
        ['access', 'GET', '/stderr', 200],
      ]);
      assert.equal(entries[1]?.['user_agent'], 'a"b\x85c');
      assert.equal(typeof entries[1]?.['duration_us'], 'number');
    } finally {
      await server.stop();
    }
  });

  test("the application's stderr lines are attributed to their host's pid (text and json)", async () => {
    for (const format of ['text', 'json'] as const) {
      const file = path.join(dir, `stderr-${format}.log`);
      const server = await startServer(APP, { args: ['--log-format', format, '--error-log', file] });
      try {
        const hostPid = Number((await request(server.port, get('/pid'))).body.toString());
        assert.ok(hostPid > 0);
        await request(server.port, get('/stderr'));
        const lines = await waitFor('two stderr lines', () => {
          const found = read(file).split('\n').filter((l) => l.includes('app line'));
          return found.length >= 2 ? found : undefined;
        });
        if (format === 'text') {
          assert.match(lines[0] ?? '', new RegExp(`^\\S+Z \\[${hostPid}\\] STDERR app line one$`));
        } else {
          const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
          assert.deepEqual(records.map((r) => [r['level'], r['pid']]), [['STDERR', hostPid], ['STDERR', hostPid]]);
          assert.equal(records[1]?.['message'], 'app line two "quoted" \u2028 sep \x85 nel');
        }
      } finally {
        await server.stop();
      }
    }
  });

  test('the app-load traceback is shown at the default level, in one JSON record', async () => {
    const r = await runCli(['--python', PYTHON, '--port', '0', '--log-format', 'json', 'no_such_module:app']);
    assert.equal(r.code, 3);
    const records = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const traceback = records.find((x) => String(x['message']).includes('Traceback'));
    assert.ok(traceback, r.stderr);
    assert.match(String(traceback['message']), /ModuleNotFoundError: No module named 'no_such_module'$/);
    assert.ok(records.some((x) => x['level'] === 'FATAL' && String(x['message']).startsWith('YW_APP_LOAD')));
  });
});

describe('bad logging configuration stops the server before it binds, exit 2, naming the setting', () => {
  test('an error log in a directory that does not exist', async () => {
    const r = await runCli(['--python', PYTHON, '--port', '0', '--error-log', path.join(dir, 'nope', 'e.log'), APP]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^yimmo-wsgi: cannot write log file '.*nope\/e\.log' \(--error-log, from command line\): directory .* does not exist\n$/);
  });

  test('an access log that is a directory', async () => {
    const r = await runCli(['--python', PYTHON, '--port', '0', APP], { YIMMO_WSGI_ACCESS_LOG: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^yimmo-wsgi: cannot write log file '.*' \(YIMMO_WSGI_ACCESS_LOG, from environment\): is a directory\n$/);
  });

  test('an unknown access-log atom, named', async () => {
    const r = await runCli(['--python', PYTHON, '--port', '0', '--access-log-format', '%(h)s %(X)s', APP]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^yimmo-wsgi: invalid --access-log-format '%\(h\)s %\(X\)s' \(from command line\): unknown atom '%\(X\)s'/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('an unknown log format', async () => {
    const r = await runCli(['--python', PYTHON, '--port', '0', '--log-format', 'xml', APP]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--log-format 'xml' \(from command line\): must be text or json/);
  });
});

describe('--check-config and --print-config', () => {
  test('--check-config prints each setting with its value and origin and exits 0', async () => {
    const r = await runCli(['--python', PYTHON, '--check-config', '-P', '9999', '--access-log', '-', APP], { YIMMO_WSGI_NO_THREADS: '3' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^yimmo-wsgi: configuration OK\n/);
    assert.match(r.stdout, /\n {2}--port +9999 +\(command line\)\n/);
    assert.match(r.stdout, /\n {2}--no-threads +3 +\(environment \(YIMMO_WSGI_NO_THREADS\)\)\n/);
    assert.match(r.stdout, /\n {2}--idle-timeout +5 +\(default\)\n/);
    assert.match(r.stdout, /\n {2}--access-log +"-" +\(command line\)\n/);
    assert.match(r.stdout, /\n {2}MODULE +"logging_app" +\(command line\)\n/);
    assert.equal(r.stderr, '');
  });

  test('--check-config with a bad value prints the one-line error and exits 2', async () => {
    const r = await runCli(['--python', PYTHON, '--check-config', '-t', '0', APP]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^yimmo-wsgi: invalid --no-threads '0' \(from command line\)/);
  });

  test('--print-config prints a config file that gives back the same configuration', async () => {
    const printed = await runCli(['--python', PYTHON, '--print-config', '--request-timeout', '2.5', '--max-body-size', '10M',
      '--log-format', 'json', APP]);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /\n {2}request_timeout: 2\.5\n/);
    assert.match(printed.stdout, /\n {2}max_body_size: 10M\n/);
    const file = path.join(dir, 'printed.yaml');
    fs.writeFileSync(file, printed.stdout);
    const checked = await runCli(['--check-config', '-c', file]);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /\n {2}--request-timeout +2\.5 +\(config file \(.*printed\.yaml\)\)\n/);
    assert.match(checked.stdout, /\n {2}--log-format +"json" +\(config file/);
    assert.match(checked.stdout, /\n {2}MODULE +"logging_app" +\(config file/);
    const again = await runCli(['--print-config', '-c', file]);
    assert.equal(again.stdout, printed.stdout);
  });
});

describe('SIGUSR1 (logrotate)', () => {
  test('after the files are renamed away, SIGUSR1 makes the supervisor and every worker write to new ones', async () => {
    const access = path.join(dir, 'rotate-access.log');
    const errors = path.join(dir, 'rotate-error.log');
    const server = await startServer(APP, { args: ['-p', '2', '-l', 'INFO', '--access-log', access, '--error-log', errors] });
    try {
      assert.equal((await request(server.port, get('/before'))).status, 200);
      await waitFor('the first access line', linesOf(access, 1));
      fs.renameSync(access, access + '.1');
      fs.renameSync(errors, errors + '.1');
      process.kill(server.child.pid as number, 'SIGUSR1');
      await waitFor('a new error log', () => (/SIGUSR1: reopened log files/.test(read(errors)) ? true : undefined));
      // Fresh connections reach both workers over a few requests.
      for (let i = 0; i < 8; i++) assert.equal((await request(server.port, get(`/after${i}`))).status, 200);
      const lines = await waitFor('8 access lines in the new file', linesOf(access, 8));
      assert.ok(lines.every((l) => /GET \/after\d/.test(l)), lines.join('\n'));
      assert.doesNotMatch(read(access + '.1'), /after/);
    } finally {
      await server.stop();
    }
  });
});
