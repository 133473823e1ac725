import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ALL_SETTINGS, settingByKey } from '../../src/config/schema';
import { run, sandbox } from './helpers';
import { samples, SPECIAL, valueOf, yamlText } from './samples';

const box = sandbox();
const table = samples(box);

test('the sample table covers every setting of the schema', () => {
  const covered = new Set([...table.map((s) => s.key), ...SPECIAL]);
  for (const s of ALL_SETTINGS) assert.ok(covered.has(s.key), `no precedence sample for ${s.key}`);
});

for (const sample of table) {
  const s = settingByKey(sample.key);
  const yamlPath = s.yaml ?? '';
  const envName = s.env ?? '';
  const file = box.file(`precedence-${s.key}.yaml`, yamlText([[yamlPath, sample.yaml[0]]]));
  const env = box.env({ [envName]: sample.env[0] });

  describe(`precedence of ${s.key}`, () => {
    if (sample.cli !== undefined) {
      const cli = sample.cli;
      test('the command line beats the environment, the config file and the default', () => {
        const config = run([`--${s.flag ?? ''}`, cli[0], '-c', file, 'm:a'], env);
        assert.deepEqual(valueOf(config, s.key), cli[1]);
        assert.equal(config.sources[s.key], 'command line');
      });
    }
    test('the environment beats the config file and the default', () => {
      const config = run(['-c', file, 'm:a'], env);
      assert.deepEqual(valueOf(config, s.key), sample.env[1]);
      assert.equal(config.sources[s.key], `environment (${envName})`);
    });
    test('the config file beats the default', () => {
      const config = run(['-c', file, 'm:a'], box.env());
      assert.deepEqual(valueOf(config, s.key), sample.yaml[1]);
      assert.equal(config.sources[s.key], `config file (${file})`);
    });
    test('the default applies when no source gives a value', () => {
      const config = run(['m:a'], box.env());
      assert.equal(config.sources[s.key], 'default');
      assert.notDeepEqual(valueOf(config, s.key), sample.yaml[1]);
    });
  });
}

describe('precedence of the module and the app', () => {
  const file = box.file('precedence-app.yaml', yamlText([['wsgi.module', 'filemod'], ['wsgi.app', 'file_app']]));
  const env = box.env({ YIMMO_WSGI_MODULE: 'envmod', YIMMO_WSGI_APP: 'env_app' });

  test('the MODULE:EXPRESSION argument beats the environment and the config file', () => {
    const config = run(['-c', file, 'climod:cli_app'], env);
    assert.equal(config.module, 'climod');
    assert.equal(config.app, 'cli_app');
    assert.equal(config.sources.module, 'command line');
    assert.equal(config.sources.app, 'command line');
  });

  test('the environment beats the config file', () => {
    const config = run(['-c', file], env);
    assert.deepEqual([config.module, config.app], ['envmod', 'env_app']);
    assert.equal(config.sources.app, 'environment (YIMMO_WSGI_APP)');
  });

  test('the config file gives both when nothing else does', () => {
    const config = run(['-c', file], box.env());
    assert.deepEqual([config.module, config.app], ['filemod', 'file_app']);
    assert.equal(config.sources.module, `config file (${file})`);
  });

  test('precedence applies to each part: module from the argument, app from the environment', () => {
    const config = run(['-c', file, 'climod'], box.env({ YIMMO_WSGI_APP: 'env_app' }));
    assert.deepEqual([config.module, config.app], ['climod', 'env_app']);
    assert.equal(config.sources.module, 'command line');
    assert.equal(config.sources.app, 'environment (YIMMO_WSGI_APP)');
  });

  test('precedence applies to each part: module from the environment, app from the config file', () => {
    const config = run(['-c', file], box.env({ YIMMO_WSGI_MODULE: 'envmod' }));
    assert.deepEqual([config.module, config.app], ['envmod', 'file_app']);
  });
});

describe('precedence of the TLS certificate and key', () => {
  const cli = box.tlsPair('tls-cli');
  const fromEnv = box.tlsPair('tls-env');
  const fromFile = box.tlsPair('tls-file');
  const file = box.file('precedence-tls.yaml', yamlText([['wsgi.tls.cert', fromFile.cert], ['wsgi.tls.key', fromFile.key]]));
  const env = box.env({ YIMMO_TLS_CERT_PATH: fromEnv.cert, YIMMO_TLS_KEY_PATH: fromEnv.key });

  test('the command line beats the environment and the config file', () => {
    const config = run(['--tls-cert', cli.cert, '--tls-key', cli.key, '-c', file, 'm:a'], env);
    assert.deepEqual([config.tlsCertPath, config.tlsKeyPath], [cli.cert, cli.key]);
    assert.equal(config.sources.tlsCertPath, 'command line');
  });

  test('the environment beats the config file', () => {
    const config = run(['-c', file, 'm:a'], env);
    assert.deepEqual([config.tlsCertPath, config.tlsKeyPath], [fromEnv.cert, fromEnv.key]);
    assert.equal(config.sources.tlsKeyPath, 'environment (YIMMO_TLS_KEY_PATH)');
  });

  test('the config file beats the default', () => {
    const config = run(['-c', file, 'm:a'], box.env());
    assert.deepEqual([config.tlsCertPath, config.tlsKeyPath], [fromFile.cert, fromFile.key]);
  });

  test('by default TLS is off', () => {
    const config = run(['m:a'], box.env());
    assert.deepEqual([config.tlsCertPath, config.tlsKeyPath], [null, null]);
    assert.equal(config.sources.tlsCertPath, 'default');
  });

  test('the certificate and the key may come from different sources', () => {
    const config = run(['--tls-cert', cli.cert, 'm:a'], box.env({ YIMMO_TLS_KEY_PATH: fromEnv.key }));
    assert.deepEqual([config.tlsCertPath, config.tlsKeyPath], [cli.cert, fromEnv.key]);
  });
});

describe('precedence of the config file path', () => {
  const a = box.file('config-a.yaml', 'wsgi:\n  port: 1111\n');
  const b = box.file('config-b.yaml', 'wsgi:\n  port: 2222\n');

  test('--config beats YIMMO_WSGI_CONFIG', () => {
    const config = run(['--config', a, 'm:a'], box.env({ YIMMO_WSGI_CONFIG: b }));
    assert.equal(config.port, 1111);
    assert.equal(config.configFile, a);
    assert.equal(config.sources.configFile, 'command line');
  });

  test('YIMMO_WSGI_CONFIG is used when there is no --config', () => {
    const config = run(['m:a'], box.env({ YIMMO_WSGI_CONFIG: b }));
    assert.equal(config.port, 2222);
    assert.equal(config.sources.configFile, 'environment (YIMMO_WSGI_CONFIG)');
    assert.equal(config.sources.port, `config file (${b})`);
  });

  test('there is no config file by default', () => {
    const config = run(['m:a'], box.env());
    assert.equal(config.configFile, null);
  });
});
