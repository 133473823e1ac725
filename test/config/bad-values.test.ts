import assert from 'node:assert/strict';
import { chmodSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { fixture, run, sandbox, throwsConfig } from './helpers';

const box = sandbox();

describe('invalid values', () => {
  const cases: [argv: string[], fragments: string[]][] = [
    [['--port', 'abc'], ["invalid --port 'abc' (from command line): must be an integer from 0 to 65535"]],
    [['--port', '80.5'], ["--port '80.5'"]],
    [['--port', '0x50'], ["--port '0x50'"]],
    [['--port', '65536'], ["--port '65536'", 'from 0 to 65535']],
    [['--no-threads', '0'], ["invalid --no-threads '0' (from command line): must be an integer from 1 to 1024"]],
    [['-t', '1025'], ["--no-threads '1025'"]],
    [['-p', '0'], ["invalid --no-proc '0' (from command line): must be an integer from 1 to 256"]],
    [['--no-proc', '257'], ["--no-proc '257'"]],
    [['--idle-timeout', '0'], ["--idle-timeout '0'", 'above 0']],
    [['--send-timeout', '0'], ["--send-timeout '0'", 'above 0']],
    [['--idle-timeout', '-1'], ["--idle-timeout '-1'"]],
    [['--header-timeout', 'ten'], ["--header-timeout 'ten'", 'seconds']],
    [['--body-timeout', '0.0001'], ["--body-timeout '0.0001'"]],
    [['--request-timeout', '86401'], ["--request-timeout '86401'", 'from 0 to 86400']],
    [['--graceful-timeout', '1e3'], ["--graceful-timeout '1e3'"]],
    [['--max-body-size', '10X'], ["--max-body-size '10X'", 'K, M, G or T']],
    [['--max-body-size', '1.5G'], ["--max-body-size '1.5G'"]],
    [['--max-header-size', '1T'], ["--max-header-size '1T'", 'to 16M']],
    [['--max-headers', '0'], ["--max-headers '0'", 'from 1 to 10000']],
    [['--max-request-line', '8'], ["--max-request-line '8'", 'from 16']],
    [['--max-chunk-extension', '-5'], ["--max-chunk-extension '-5'"]],
    [['--max-connections', '0'], ["--max-connections '0'"]],
    [['--backlog', '70000'], ["--backlog '70000'", 'from 1 to 65535']],
    [['--log-level', 'LOUD'], ["invalid --log-level 'LOUD' (from command line): must be one of FATAL"]],
    [['--host', 'not a host!'], ["--host 'not a host!'", 'IP address or a host name']],
    [['--host', ''], ["--host ''"]],
    [['--python', ''], ["--python ''"]],
    [['--log-format', 'xml'], ["invalid --log-format 'xml' (from command line): must be text or json"]],
    [['--access-log-format', '%(h)s %(zz)s'], ["--access-log-format '%(h)s %(zz)s'", "unknown atom '%(zz)s'"]],
    [['--access-log-format', '100% sure'], ["lone '%' at position 4"]],
    [['--error-log', ''], ["--error-log ''"]],
    [['--metrics-bind', '9091'], ["--metrics-bind '9091'", 'HOST:PORT']],
    [['--metrics-bind', '127.0.0.1:65536'], ["--metrics-bind '127.0.0.1:65536'"]],
    [['--metrics-bind', '::1:9091'], ["--metrics-bind '::1:9091'", '[...] for IPv6']],
    [['--slow-request', '0'], ["--slow-request '0'", 'above 0']],
    [['--max-requests', '-1'], ["invalid --max-requests '-1' (from command line): must be an integer from 0"]],
    [['--max-requests', '10k'], ["--max-requests '10k'"]],
    [['--max-requests-jitter', '1.5'], ["--max-requests-jitter '1.5'"]],
    [['--max-rss', '100X'], ["--max-rss '100X'", 'K, M, G or T']],
    [['--max-rss', '-1M'], ["--max-rss '-1M'"]],
    [['--max-host-age', '-5'], ["--max-host-age '-5'"]],
    [['--max-host-age', 'an hour'], ["--max-host-age 'an hour'", 'seconds']],
    [['--max-host-age-jitter', '0.0001'], ["--max-host-age-jitter '0.0001'"]],
    [['--reload=maybe'], ["--reload 'maybe'"]],
    [['--reload-extra-file', ''], ["--reload-extra-file ''"]],
    [['--bind', 'unix:'], ["invalid --bind 'unix:'", "'unix:' must be unix:PATH with a path"]],
    [['--bind', 'unix://'], ["'unix://' must be unix:PATH with a path"]],
    [['--bind', '[::1'], ["'[::1' must be HOST:PORT, [IPV6]:PORT, unix:PATH or fd://N"]],
    [['--bind', '[::1]'], ["'[::1]' must be HOST:PORT, [IPV6]:PORT, unix:PATH or fd://N"]],
    [['--bind', '127.0.0.1:65536'], ["'127.0.0.1:65536' must be HOST:PORT with a port from 0 to 65535"]],
    [['--bind', '127.0.0.1:99999999'], ['with a port from 0 to 65535']],
    [['--bind', ':8000'], ["':8000' must be HOST:PORT with a host"]],
    [['--bind', '[1.2.3.4]:80'], ['with an IPv6 address in the brackets']],
    [['--bind', 'exa mple:80'], ['with an IP address or a host name']],
    [['--bind', 'fd://1'], ['fd://N with N a descriptor of 3 or more']],
    [['--bind', 'fd://a:b'], ['fd://N (a descriptor number) or fd://NAME']],
    [['--bind', `unix:/tmp/${'x'.repeat(120)}`], ['at most 107 bytes']],
    [['--bind', '127.0.0.1:80', '--bind', ''], ["--bind '127.0.0.1:80\\n'"]],
    [['--unix-socket-mode', '888'], ["invalid --unix-socket-mode '888'", 'an octal mode from 000 to 777']],
    [['--unix-socket-mode', 'rw'], ["--unix-socket-mode 'rw'"]],
  ];
  for (const [argv, fragments] of cases) {
    test(`${argv.join(' ')} is rejected, naming the setting, the source and the value`, () => {
      throwsConfig(() => run([...argv, 'm:a'], box.env()), 'YW_CONFIG_INVALID', ...fragments, '(from command line)');
    });
  }

  test('an invalid environment value names the variable and the environment', () => {
    throwsConfig(() => run(['m:a'], box.env({ YIMMO_WSGI_NO_THREADS: '0' })), 'YW_CONFIG_INVALID',
      "invalid YIMMO_WSGI_NO_THREADS '0' (from environment): must be an integer from 1 to 1024");
  });

  test('an invalid environment value is an error even when the command line overrides it', () => {
    throwsConfig(() => run(['-P', '80', 'm:a'], box.env({ YIMMO_WSGI_PORT: 'http' })), 'YW_CONFIG_INVALID',
      "YIMMO_WSGI_PORT 'http'", 'environment');
  });

  test('a value with a newline is shown escaped, keeping the message on one line', () => {
    throwsConfig(() => run(['m:a'], box.env({ YIMMO_LOG_LEVEL: 'info\ndebug' })), 'YW_CONFIG_INVALID', "'info\\ndebug'");
  });

  test('a very long value is cut short in the message', () => {
    const err = throwsConfig(() => run(['--host', 'x'.repeat(500), 'm:a'], box.env()), 'YW_CONFIG_INVALID', '--host');
    assert.ok(err.message.length < 300, err.message);
  });

  test('a host given as a bracketed IPv6 address is stored without brackets', () => {
    assert.deepEqual(run(['--host', '[::]', 'm:a'], box.env()).host, ['::']);
  });

  test('a repeated --host binds every one of them, none is dropped', () => {
    assert.deepEqual(run(['--host', '127.0.0.1', '--host', '::1', 'm:a'], box.env()).host, ['127.0.0.1', '::1']);
  });

  test('--bind with --host or --port from any source is an error naming both settings', () => {
    throwsConfig(() => run(['--bind', '127.0.0.1:80', '--port', '81', 'm:a'], box.env()), 'YW_CONFIG_INVALID',
      '--port (from command line) cannot be combined with --bind (from command line)');
    throwsConfig(() => run(['-b', 'unix:/tmp/y.sock', 'm:a'], box.env({ YIMMO_WSGI_HOST: '::1' })), 'YW_CONFIG_INVALID',
      'YIMMO_WSGI_HOST (from environment) cannot be combined with --bind');
  });

  test('a Unix socket in a directory that does not exist is a config error naming the setting', () => {
    throwsConfig(() => run(['--bind', `unix:${join(box.dir, 'nowhere', 'app.sock')}`, 'm:a'], box.env()), 'YW_CONFIG_INVALID',
      "invalid --bind 'unix:", 'nowhere', 'does not exist');
  });

  test('a relative Unix socket path is made absolute, against the config file for a file value', () => {
    assert.deepEqual(run(['--bind', 'unix:rel.sock', 'm:a'], box.env()).bind, [{ kind: 'unix', path: join(process.cwd(), 'rel.sock') }]);
    const file = box.file('unix.yaml', 'wsgi:\n  bind: unix:here.sock\n');
    assert.deepEqual(run(['-c', file, 'm:a'], box.env()).bind, [{ kind: 'unix', path: join(box.dir, 'here.sock') }]);
  });
});

describe('TLS files', () => {
  const { cert, key } = box.tlsPair('tls');

  test('a certificate without a key is an error naming both settings', () => {
    throwsConfig(() => run(['--tls-cert', cert, 'm:a'], box.env()), 'YW_CONFIG_INVALID',
      `--tls-cert '${cert}' (from command line)`, '--tls-key', 'YIMMO_TLS_KEY_PATH', 'wsgi.tls.key');
  });

  test('a key without a certificate is an error naming both settings', () => {
    throwsConfig(() => run(['m:a'], box.env({ YIMMO_TLS_KEY_PATH: key })), 'YW_CONFIG_INVALID',
      `YIMMO_TLS_KEY_PATH '${key}' (from environment)`, '--tls-cert', 'YIMMO_TLS_CERT_PATH');
  });

  test('a missing certificate file is an error naming the setting and the path', () => {
    throwsConfig(() => run(['--tls-cert', '/nonexistent/site.crt', '--tls-key', key, 'm:a'], box.env()),
      'YW_CONFIG_TLS_FILE', "TLS certificate '/nonexistent/site.crt'", '--tls-cert', 'command line', 'no such file');
  });

  test('a key that is a directory is an error naming the setting and the path', () => {
    const dir = join(box.dir, 'key-dir');
    mkdirSync(dir);
    throwsConfig(() => run(['m:a'], box.env({ YIMMO_TLS_CERT_PATH: cert, YIMMO_TLS_KEY_PATH: dir })),
      'YW_CONFIG_TLS_FILE', `TLS private key '${dir}'`, 'YIMMO_TLS_KEY_PATH', 'environment');
  });

  test('an unreadable key file is an error naming the setting and the path', { skip: process.getuid?.() === 0 && 'root reads any file' }, () => {
    const locked = box.tlsPair('locked');
    chmodSync(locked.key, 0o000);
    throwsConfig(() => run(['--tls-cert', locked.cert, '--tls-key', locked.key, 'm:a'], box.env()),
      'YW_CONFIG_TLS_FILE', locked.key, '--tls-key', 'permission denied');
  });

  test('a certificate and a key that do not match are an error naming both', () => {
    throwsConfig(() => run(['--tls-cert', cert, '--tls-key', fixture('other-key.pem'), 'm:a'], box.env()),
      'YW_CONFIG_TLS_FILE', '--tls-cert, from command line', '--tls-key, from command line', 'not a usable pair');
  });

  test('a certificate file that is not PEM is an error naming the certificate', () => {
    const junk = box.file('junk-cert.pem', 'hello\n');
    throwsConfig(() => run(['--tls-cert', junk, '--tls-key', key, 'm:a'], box.env()), 'YW_CONFIG_TLS_FILE',
      `TLS certificate '${junk}' (--tls-cert, from command line) is not usable`);
  });

  test('a key file that is not PEM is an error naming the key', () => {
    const junk = box.file('junk-key.pem', 'hello\n');
    const conf = box.file('junk-key.yaml', `wsgi:\n  tls:\n    cert: ${cert}\n    key: junk-key.pem\n`);
    throwsConfig(() => run(['-c', conf, 'm:a'], box.env()), 'YW_CONFIG_TLS_FILE',
      `TLS private key 'junk-key.pem' (wsgi.tls.key, from config file ${conf}) is not usable`);
    assert.ok(junk.endsWith('junk-key.pem'));
  });
});

describe('the python interpreter', () => {
  test('a bare name not on PATH is an error naming the setting and the source', () => {
    throwsConfig(() => run(['--python', 'python9', 'm:a'], box.env()), 'YW_CONFIG_PYTHON',
      "python interpreter 'python9' (--python, from command line) not found on PATH");
  });

  test('the default python3 missing from PATH is an error saying how to set it', () => {
    throwsConfig(() => run(['m:a'], { PATH: join(box.dir, 'empty') }), 'YW_CONFIG_PYTHON', "'python3'", 'from default',
      'YIMMO_PYTHON');
  });

  test('a path that does not exist is an error', () => {
    throwsConfig(() => run(['m:a'], box.env({ YIMMO_PYTHON: '/nonexistent/python' })), 'YW_CONFIG_PYTHON',
      "'/nonexistent/python' (YIMMO_PYTHON, from environment) does not exist");
  });

  test('a file that is not executable is an error', () => {
    const file = box.file('plain/python', 'not a program');
    chmodSync(file, 0o644);
    const conf = box.file('py.yaml', `wsgi:\n  python: ${file}\n`);
    throwsConfig(() => run(['-c', conf, 'm:a'], box.env()), 'YW_CONFIG_PYTHON', 'wsgi.python', `from config file ${conf}`,
      'is not executable');
  });

  test('a directory is not an interpreter', () => {
    throwsConfig(() => run(['--python', box.bin, 'm:a'], box.env()), 'YW_CONFIG_PYTHON', 'is not a file');
  });

  test('a relative path is resolved against the working directory', () => {
    const python = join(box.bin, 'python3');
    const config = run(['--python', relative(process.cwd(), python), 'm:a'], box.env());
    assert.equal(config.python, python);
  });
});

describe('a missing application', () => {
  test('no module and no app is an error listing every way to give them', () => {
    throwsConfig(() => run([], box.env()), 'YW_CONFIG_NO_APP', 'no WSGI application given', 'command line',
      'environment', 'config file', 'YIMMO_WSGI_MODULE', 'wsgi.app');
  });

  test('a module without an app is an error naming where the module came from', () => {
    throwsConfig(() => run([], box.env({ YIMMO_WSGI_MODULE: 'hello' })), 'YW_CONFIG_NO_APP',
      "no WSGI app given (YIMMO_WSGI_MODULE 'hello' is from environment", 'YIMMO_WSGI_APP', 'wsgi.app');
  });

  test('an app without a module is an error naming where the app came from', () => {
    const file = box.file('app-only.yaml', 'wsgi:\n  app: app\n');
    throwsConfig(() => run(['-c', file], box.env()), 'YW_CONFIG_NO_APP', 'no WSGI module given', 'wsgi.app',
      `config file ${file}`, 'YIMMO_WSGI_MODULE');
  });
});

describe('log files', () => {
  test('an error log in a missing directory (from the config file, relative to it) names the key and the file', () => {
    const file = box.file('logs.yaml', 'wsgi:\n  error_log: missing-dir/error.log\n');
    throwsConfig(() => run(['-c', file, 'm:a'], box.env()), 'YW_CONFIG_LOG_FILE',
      "cannot write log file 'missing-dir/error.log' (wsgi.error_log, from config file", 'does not exist');
  });

  test('an access log that is a directory', () => {
    throwsConfig(() => run(['--access-log', box.dir, 'm:a'], box.env()), 'YW_CONFIG_LOG_FILE', '(--access-log, from command line): is a directory');
  });

  test('an unknown atom in the environment is an error even when the command line overrides it', () => {
    throwsConfig(() => run(['--access-log-format', '%(h)s', 'm:a'], box.env({ YIMMO_WSGI_ACCESS_LOG_FORMAT: '%(Q)s' })),
      'YW_CONFIG_INVALID', "YIMMO_WSGI_ACCESS_LOG_FORMAT '%(Q)s' (from environment)", "unknown atom '%(Q)s'");
  });

  test('- is a standard stream, never a file called -', () => {
    const config = run(['--access-log', '-', '--error-log', '-', 'm:a'], box.env());
    assert.equal(config.accessLog, '-');
    assert.equal(config.errorLog, null);
  });
});
