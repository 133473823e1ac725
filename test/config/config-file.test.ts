import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { settingByKey } from '../../src/config/schema';
import { run, sandbox, throwsConfig } from './helpers';
import { samples, valueOf, yamlText } from './samples';

const box = sandbox();

describe('config file keys', () => {
  for (const sample of samples(box)) {
    const s = settingByKey(sample.key);
    const path = s.yaml ?? '';
    test(`${path} sets ${s.key}`, () => {
      const file = box.file(`key-${s.key}.yaml`, yamlText([[path, sample.yaml[0]]]));
      const config = run(['-c', file, 'm:a'], box.env());
      assert.deepEqual(valueOf(config, s.key), sample.yaml[1]);
      assert.equal(config.sources[s.key], `config file (${file})`);
    });
  }

  test('wsgi.module and wsgi.app give the application', () => {
    const file = box.file('app.yaml', 'wsgi:\n  module: pkg.hello\n  app: \'create_app("x: y")\'\n');
    const config = run(['-c', file], box.env());
    assert.deepEqual([config.module, config.app], ['pkg.hello', 'create_app("x: y")']);
  });

  test('wsgi.tls.cert and wsgi.tls.key turn TLS on', () => {
    const { cert, key } = box.tlsPair('file-tls');
    const file = box.file('tls.yaml', yamlText([['wsgi.tls.cert', cert], ['wsgi.tls.key', key]]));
    const config = run(['-c', file, 'm:a'], box.env());
    assert.deepEqual([config.tlsCertPath, config.tlsKeyPath], [cert, key]);
  });

  test('the config example of the original docs loads', () => {
    box.tlsPair('orig');
    const file = box.file('orig/yimmo.yaml',
      '---\nlog_level: INFO\nwsgi:\n  port: 8081\n  tls:\n    cert: cert.pem\n    key: key.pem\n  no_proc: 2\n  no_threads: 2\n');
    const config = run(['-c', file, 'hello:app'], box.env());
    assert.deepEqual(
      [config.logLevel, config.port, config.processes, config.threads, config.tlsCertPath],
      ['INFO', 8081, 2, 2, join(box.dir, 'orig', 'cert.pem')],
    );
  });

  test('relative paths in the file are relative to the file, not the working directory', () => {
    box.tlsPair('rel/certs');
    const file = box.file('rel/conf.yaml', 'wsgi:\n  tls:\n    cert: certs/cert.pem\n    key: ./certs/key.pem\n');
    assert.equal(run(['-c', file, 'm:a'], box.env()).tlsKeyPath, join(box.dir, 'rel', 'certs', 'key.pem'));
  });

  test('an empty file is an empty configuration', () => {
    const file = box.file('empty.yaml', '# nothing yet\n');
    assert.equal(run(['-c', file, 'm:a'], box.env()).port, 8081);
  });

  test('an empty group is allowed', () => {
    const file = box.file('empty-group.yaml', 'wsgi:\n  tls:\n');
    assert.equal(run(['-c', file, 'm:a'], box.env()).tlsCertPath, null);
  });

  test('a size may be written as an integer or with a suffix', () => {
    const file = box.file('sizes.yaml', 'wsgi:\n  max_body_size: 10M\n  max_header_size: 8192\n');
    const config = run(['-c', file, 'm:a'], box.env());
    assert.deepEqual([config.maxBodyBytes, config.maxHeaderBytes], [10485760, 8192]);
  });
});

describe('config file errors', () => {
  const load = (name: string, text: string): (() => unknown) => {
    const file = box.file(name, text);
    return () => run(['-c', file, 'm:a'], box.env());
  };

  test('an unknown key is an error with a suggestion', () => {
    const file = box.file('typo.yaml', 'wsgi:\n  prot: 80\n');
    throwsConfig(() => run(['-c', file, 'm:a'], box.env()), 'YW_CONFIG_UNKNOWN_KEY',
      `unknown key 'wsgi.prot' in config file ${file} (did you mean 'wsgi.port'?)`);
  });

  test('a key at the wrong level suggests where it belongs', () => {
    throwsConfig(load('level.yaml', 'port: 80\n'), 'YW_CONFIG_UNKNOWN_KEY', "'port'", "did you mean 'wsgi.port'");
  });

  test('a misspelt nested key suggests the right one', () => {
    throwsConfig(load('nested.yaml', 'wsgi:\n  tls:\n    crt: a\n'), 'YW_CONFIG_UNKNOWN_KEY', "'wsgi.tls.crt'", "'wsgi.tls.cert'");
  });

  test('a key far from any setting has no suggestion', () => {
    const err = throwsConfig(load('far.yaml', 'workers: 4\n'), 'YW_CONFIG_UNKNOWN_KEY', "'workers'");
    assert.ok(!err.message.includes('did you mean'));
  });

  test('the config file cannot name a config file', () => {
    throwsConfig(load('self.yaml', 'config: other.yaml\n'), 'YW_CONFIG_UNKNOWN_KEY', "'config'");
  });

  const wrongTypes: [string, string, string][] = [
    ['wsgi:\n  port: "8080"\n', "invalid wsgi.port '8080'", 'not a string'],
    ['wsgi:\n  no_threads: 1.5\n', 'invalid wsgi.no_threads 1.5', 'not a number'],
    ['log_level: 3\n', 'invalid log_level 3', 'not an integer'],
    ['log_level: LOUD\n', "invalid log_level 'LOUD'", 'FATAL'],
    ['wsgi:\n  idle_timeout: "5"\n', "invalid wsgi.idle_timeout '5'", 'not a string'],
    ['wsgi:\n  use_kqueue: yes\n', "invalid wsgi.use_kqueue 'yes'", 'not a string'],
    ['wsgi:\n  module: 123\n', 'invalid wsgi.module 123', 'not an integer'],
    ['wsgi:\n  tls: 5\n', 'invalid wsgi.tls 5', 'must be a mapping'],
    ['wsgi:\n  - port\n', 'invalid wsgi ["port"]', 'not a list'],
    ['wsgi:\n  port:\n', 'invalid wsgi.port null', 'not empty (null)'],
    ['wsgi:\n  max_body_size: 1.5G\n', "invalid wsgi.max_body_size '1.5G'", 'a size in bytes'],
  ];
  for (const [i, [text, what, why]] of wrongTypes.entries()) {
    test(`a value of the wrong type is an error: ${JSON.stringify(text)}`, () => {
      const file = box.file(`type-${i}.yaml`, text);
      throwsConfig(() => run(['-c', file, 'm:a'], box.env()), 'YW_CONFIG_INVALID', what, `(from config file ${file})`, why);
    });
  }

  test('a missing file named by --config is an error naming the flag and the file', () => {
    throwsConfig(() => run(['-c', 'nope.yaml', 'm:a'], box.env()), 'YW_CONFIG_FILE', "'nope.yaml'", '--config', 'command line', 'no such file');
  });

  test('a missing file named by YIMMO_WSGI_CONFIG is an error naming the variable', () => {
    throwsConfig(() => run(['m:a'], box.env({ YIMMO_WSGI_CONFIG: '/nonexistent/y.yaml' })), 'YW_CONFIG_FILE',
      "'/nonexistent/y.yaml'", 'YIMMO_WSGI_CONFIG', 'environment');
  });

  test('a directory is not a config file', () => {
    const dir = join(box.dir, 'a-directory');
    mkdirSync(dir);
    throwsConfig(() => run(['-c', dir, 'm:a'], box.env()), 'YW_CONFIG_FILE', '--config', 'directory');
  });

  test('invalid YAML is an error naming the file and the line', () => {
    const file = box.file('broken.yaml', 'wsgi:\n  port: [80\n');
    throwsConfig(() => run(['-c', file, 'm:a'], box.env()), 'YW_CONFIG_FILE', `invalid YAML in config file ${file}`, 'line');
  });

  test('a duplicate key is invalid YAML', () => {
    throwsConfig(load('dup.yaml', 'wsgi:\n  port: 1\n  port: 2\n'), 'YW_CONFIG_FILE', 'unique');
  });

  test('several documents in one file are invalid', () => {
    throwsConfig(load('multi.yaml', '---\nlog_level: info\n---\nlog_level: debug\n'), 'YW_CONFIG_FILE', 'multiple documents');
  });

  test('a top level that is not a mapping is an error', () => {
    throwsConfig(load('list.yaml', '- port: 80\n'), 'YW_CONFIG_FILE', 'top level must be a mapping', 'not a list');
  });

  test('a bad value in the file is an error even when the command line overrides it', () => {
    const file = box.file('overridden.yaml', 'wsgi:\n  port: 99999\n');
    throwsConfig(() => run(['-c', file, '-P', '80', 'm:a'], box.env()), 'YW_CONFIG_INVALID', 'wsgi.port 99999', file);
  });
});
