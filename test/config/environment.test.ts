import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { join } from 'node:path';
import { settingByKey } from '../../src/config/schema';
import { run, sandbox, throwsConfig } from './helpers';
import { samples, valueOf } from './samples';

const box = sandbox();

describe('environment variables', () => {
  for (const sample of samples(box)) {
    const s = settingByKey(sample.key);
    const name = s.env ?? '';
    test(`${name} sets ${s.key}`, () => {
      const config = run(['m:a'], box.env({ [name]: sample.env[0] }));
      assert.deepEqual(valueOf(config, s.key), sample.env[1]);
      assert.equal(config.sources[s.key], `environment (${name})`);
    });
  }

  test('YIMMO_WSGI_MODULE and YIMMO_WSGI_APP replace the argument', () => {
    const config = run([], box.env({ YIMMO_WSGI_MODULE: 'hello_factory', YIMMO_WSGI_APP: 'create_app("a:b")' }));
    assert.deepEqual([config.module, config.app], ['hello_factory', 'create_app("a:b")']);
    assert.equal(config.sources.module, 'environment (YIMMO_WSGI_MODULE)');
  });

  test('YIMMO_WSGI_CONFIG names the config file', () => {
    const file = box.file('env.yaml', 'log_level: debug\n');
    const config = run(['m:a'], box.env({ YIMMO_WSGI_CONFIG: file }));
    assert.equal(config.logLevel, 'DEBUG');
    assert.equal(config.configFile, file);
  });

  test('YIMMO_TLS_CERT_PATH and YIMMO_TLS_KEY_PATH turn TLS on', () => {
    const { cert, key } = box.tlsPair('env-tls');
    const config = run(['m:a'], box.env({ YIMMO_TLS_CERT_PATH: cert, YIMMO_TLS_KEY_PATH: key }));
    assert.deepEqual([config.tlsCertPath, config.tlsKeyPath], [cert, key]);
  });

  test('an empty variable counts as unset', () => {
    const config = run(['m:a'], box.env({ YIMMO_WSGI_PORT: '', YIMMO_LOG_LEVEL: '' }));
    assert.equal(config.port, 8081);
    assert.equal(config.sources.port, 'default');
  });

  test('numbers may carry surrounding white space', () => {
    assert.equal(run(['m:a'], box.env({ YIMMO_WSGI_PORT: ' 8000\n' })).port, 8000);
  });

  test('YIMMO_SERVER_IDLE_TIMEOUT accepts fractions of a second', () => {
    assert.equal(run(['m:a'], box.env({ YIMMO_SERVER_IDLE_TIMEOUT: '.25' })).idleTimeoutMs, 250);
  });

  test('YIMMO_WSGI_USE_KQUEUE=1 is accepted with a warning that it has no effect', () => {
    const config = run(['m:a'], box.env({ YIMMO_WSGI_USE_KQUEUE: '1' }));
    assert.equal(config.useKqueue, true);
    assert.ok(config.warnings.some((w) => w.includes('YIMMO_WSGI_USE_KQUEUE') && w.includes('no effect')));
  });

  test('YIMMO_WSGI_USE_KQUEUE accepts only 0 or 1 (or true/false)', () => {
    throwsConfig(() => run(['m:a'], box.env({ YIMMO_WSGI_USE_KQUEUE: 'yes' })), 'YW_CONFIG_INVALID',
      "YIMMO_WSGI_USE_KQUEUE 'yes'", '(from environment)', '0 or 1');
  });

  test('a misspelt YIMMO_ variable gives a warning with a suggestion', () => {
    const config = run(['m:a'], box.env({ YIMMO_WSGI_PROT: '80', YIMMO_SOMETHING_ELSE_ENTIRELY: 'x', HOME: '/root' }));
    assert.deepEqual(config.warnings, [
      'environment variable YIMMO_WSGI_PROT is not a setting and is ignored (did you mean YIMMO_WSGI_PORT?)',
    ]);
  });

  test('process.env is never read: only the env given is', () => {
    process.env['YIMMO_WSGI_PORT'] = '1234';
    try {
      assert.equal(run(['m:a'], box.env()).port, 8081);
    } finally {
      delete process.env['YIMMO_WSGI_PORT'];
    }
  });
});

describe('the default python interpreter', () => {
  test('is python3 found on PATH when no virtualenv is active', () => {
    const config = run(['m:a'], box.env());
    assert.equal(config.python, join(box.bin, 'python3'));
    assert.equal(config.sources.python, 'default');
  });

  test('is $VIRTUAL_ENV/bin/python when VIRTUAL_ENV is set', () => {
    const python = box.executable('venv/bin/python');
    assert.equal(run(['m:a'], box.env({ VIRTUAL_ENV: join(box.dir, 'venv') })).python, python);
  });

  test('a VIRTUAL_ENV without bin/python is an error that names it', () => {
    throwsConfig(() => run(['m:a'], box.env({ VIRTUAL_ENV: join(box.dir, 'no-venv') })), 'YW_CONFIG_PYTHON',
      'no-venv/bin/python', 'from default, from VIRTUAL_ENV', 'does not exist');
  });
});

describe('the resolved configuration', () => {
  test('is frozen all the way down', () => {
    const config = run(['m:a'], box.env());
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.sources));
    assert.ok(Object.isFrozen(config.warnings));
  });

  test('holds the documented defaults', () => {
    const c = run(['m:a'], box.env());
    assert.deepEqual(
      [c.logLevel, c.port, c.host, c.processes, c.threads, c.idleTimeoutMs, c.headerTimeoutMs, c.bodyTimeoutMs,
        c.requestTimeoutMs, c.gracefulTimeoutMs, c.maxRequestLine, c.maxHeaderBytes, c.maxHeaders, c.maxBodyBytes,
        c.maxChunkExtension, c.maxConnections, c.backlog, c.useKqueue, c.configFile, c.tlsCertPath, c.tlsKeyPath],
      ['NOTICE', 8081, ['0.0.0.0'], 1, 1, 5000, 10000, 10000, 60000, 30000, 8190, 65536, 100, 1073741824, 4096, 1000,
        2048, false, null, null, null],
    );
    assert.deepEqual(c.warnings, []);
  });
});
