import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { printConfig } from '../../src/cli/config-report';
import { resolveInvocation } from '../../src/cli/invocation';
import { settingByKey } from '../../src/config/schema';
import { run, sandbox, throwsConfig } from './helpers';
import { samples, valueOf } from './samples';

const box = sandbox();

describe('command-line flags', () => {
  for (const sample of samples(box)) {
    const s = settingByKey(sample.key);
    if (sample.cli === undefined || s.flag === undefined) continue;
    const [text, value] = sample.cli;
    test(`--${s.flag} sets ${s.key}, as --${s.flag} VALUE and --${s.flag}=VALUE`, () => {
      assert.deepEqual(valueOf(run([`--${s.flag}`, text, 'm:a'], box.env()), s.key), value);
      assert.deepEqual(valueOf(run([`--${s.flag}=${text}`, 'm:a'], box.env()), s.key), value);
    });
    if (s.short !== undefined) {
      test(`-${s.short} sets ${s.key}, as -${s.short} VALUE and -${s.short}VALUE`, () => {
        assert.deepEqual(valueOf(run([`-${s.short}`, text, 'm:a'], box.env()), s.key), value);
        assert.deepEqual(valueOf(run([`-${s.short}${text}`, 'm:a'], box.env()), s.key), value);
      });
    }
  }

  test('--config and -c name the config file', () => {
    const file = box.file('flags.yaml', 'wsgi:\n  no_proc: 7\n');
    assert.equal(run(['--config', file, 'm:a'], box.env()).processes, 7);
    assert.equal(run([`-c${file}`, 'm:a'], box.env()).processes, 7);
    assert.equal(run([`--config=${file}`, 'm:a'], box.env()).configFile, file);
  });

  test('the original short flags -c -l -P -p -t work together', () => {
    const file = box.file('short.yaml', '');
    const config = run(['-c', file, '-l', 'trace', '-P', '8000', '-p', '2', '-t', '4', 'hello:app'], box.env());
    assert.deepEqual(
      [config.logLevel, config.port, config.processes, config.threads, config.module, config.app],
      ['TRACE', 8000, 2, 4, 'hello', 'app'],
    );
  });

  test('--tls-cert and --tls-key set both TLS files', () => {
    const { cert, key } = box.tlsPair('flags-tls');
    const config = run(['--tls-cert', cert, '--tls-key=' + key, 'm:a'], box.env());
    assert.deepEqual([config.tlsCertPath, config.tlsKeyPath], [cert, key]);
  });

  test('options may come before or after the MODULE:EXPRESSION argument', () => {
    assert.equal(run(['m:a', '-P', '9000'], box.env()).port, 9000);
  });

  test('a repeated flag keeps its last value', () => {
    assert.equal(run(['-P', '1000', '--port', '2000', 'm:a'], box.env()).port, 2000);
  });

  test('a negative number is taken as a value and then rejected by range', () => {
    throwsConfig(() => run(['--port', '-1', 'm:a'], box.env()), 'YW_CONFIG_INVALID', "--port '-1'", 'command line');
  });

  test('-- ends the options', () => {
    assert.equal(run(['-P', '1234', '--', 'hello:app'], box.env()).module, 'hello');
  });
});

describe('help and version', () => {
  test('--help returns the help text', () => {
    const result = resolveInvocation(['--help'], {});
    assert.equal(result.action, 'help');
    assert.ok(result.action === 'help' && result.text.includes('Usage: yimmo-wsgi [OPTIONS] WSGI_MODULE:WSGI_APP'));
  });

  test('-h returns the help text, even next to arguments that are wrong', () => {
    assert.equal(resolveInvocation(['--prot', '-h', 'a', 'b'], {}).action, 'help');
  });

  test('--version returns the version action', () => {
    assert.deepEqual(resolveInvocation(['--version'], {}), { action: 'version' });
  });

  test('--help=yes is a usage error', () => {
    throwsConfig(() => resolveInvocation(['--help=yes'], {}), 'YW_CONFIG_USAGE', '--help', 'command line', "'yes'");
  });

  test('options after -- are not actions', () => {
    throwsConfig(() => resolveInvocation(['m:a', '--', '--help'], box.env()), 'YW_CONFIG_USAGE', "'--help'");
  });
});

describe('--check-config and --print-config', () => {
  test('are actions that still load (and validate) the whole configuration', () => {
    const result = resolveInvocation(['--check-config', '-P', '1234', 'm:a'], box.env());
    assert.equal(result.action, 'check-config');
    assert.ok(result.action === 'check-config' && result.config.port === 1234);
    assert.equal(resolveInvocation(['m:a', '--print-config'], box.env()).action, 'print-config');
  });

  test('a bad value still fails them: they are no escape from validation', () => {
    throwsConfig(() => resolveInvocation(['--check-config', '-t', '0', 'm:a'], box.env()), 'YW_CONFIG_INVALID', '--no-threads');
  });

  test('the last of them wins; --help wins over both', () => {
    assert.equal(resolveInvocation(['--check-config', '--print-config', 'm:a'], box.env()).action, 'print-config');
    assert.equal(resolveInvocation(['--check-config', '--help'], {}).action, 'help');
  });

  test('--print-config gives back repeated --reload-extra-file values as a file that loads them again', () => {
    const files = ['/srv/a,b.html', '/srv/c.txt'];
    const first = run(['--reload-extra-file', files[0] as string, '--reload-extra-file', files[1] as string, 'm:a'], box.env());
    assert.deepEqual(first.reloadExtraFiles, files);
    const file = box.file('printed.yaml', printConfig(first));
    assert.deepEqual(run(['-c', file], box.env()).reloadExtraFiles, files);
  });

  test('--check-config=yes is a usage error', () => {
    throwsConfig(() => resolveInvocation(['--check-config=yes', 'm:a'], box.env()), 'YW_CONFIG_USAGE', '--check-config', "'yes'");
  });
});

describe('the MODULE:EXPRESSION argument', () => {
  test('is split at the first colon only', () => {
    const config = run(['hello_factory:create_app("a:b")'], box.env());
    assert.equal(config.module, 'hello_factory');
    assert.equal(config.app, 'create_app("a:b")');
  });

  test('keeps a lambda with colons whole', () => {
    const config = run(['m:lambda environ, start: app(environ, start)'], box.env());
    assert.equal(config.app, 'lambda environ, start: app(environ, start)');
  });

  test('accepts a dotted module and an attribute expression', () => {
    const config = run(['pkg.mod:obj.attr'], box.env());
    assert.deepEqual([config.module, config.app], ['pkg.mod', 'obj.attr']);
  });

  test('accepts the factory example of the original docs', () => {
    const config = run(['hello_factory:create_app("my_config.cfg")'], box.env());
    assert.equal(config.app, 'create_app("my_config.cfg")');
  });

  test('without a colon gives only the module', () => {
    throwsConfig(() => run(['hello'], box.env()), 'YW_CONFIG_NO_APP', 'YIMMO_WSGI_APP', 'wsgi.app', "'hello'", 'command line');
  });

  test('an empty module before the colon is invalid', () => {
    throwsConfig(() => run([':app'], box.env()), 'YW_CONFIG_INVALID', 'MODULE of the MODULE:EXPRESSION argument', 'command line');
  });

  test('an empty expression after the colon is invalid', () => {
    throwsConfig(() => run(['hello:'], box.env()), 'YW_CONFIG_INVALID', 'EXPRESSION of the MODULE:EXPRESSION argument', "''");
  });

  test('a module that is not a dotted name is invalid', () => {
    throwsConfig(() => run(['my module:app'], box.env()), 'YW_CONFIG_INVALID', "'my module'", 'dotted Python module name');
  });
});

describe('malformed command lines', () => {
  test('an unknown long option is an error with a suggestion', () => {
    throwsConfig(() => run(['--prot', '80', 'm:a'], box.env()), 'YW_CONFIG_UNKNOWN_KEY', "'--prot'", 'command line', "did you mean '--port'");
  });

  test('an option spelt with underscores suggests the dashed one', () => {
    throwsConfig(() => run(['--no_proc', '2', 'm:a'], box.env()), 'YW_CONFIG_UNKNOWN_KEY', "did you mean '--no-proc'");
  });

  test('an unknown short option is an error', () => {
    throwsConfig(() => run(['-x', 'm:a'], box.env()), 'YW_CONFIG_UNKNOWN_KEY', "'-x'", 'command line');
  });

  test('a long option typed with one dash suggests the long form', () => {
    throwsConfig(() => run(['-host', '::1', 'm:a'], box.env()), 'YW_CONFIG_UNKNOWN_KEY', "'-host'", "did you mean '--host'");
    throwsConfig(() => run(['-port=80', 'm:a'], box.env()), 'YW_CONFIG_UNKNOWN_KEY', "did you mean '--port'");
  });

  test('a short option in the wrong case suggests the right one', () => {
    throwsConfig(() => run(['-T', '2', 'm:a'], box.env()), 'YW_CONFIG_UNKNOWN_KEY', "did you mean '-t'");
  });

  test('an option without its value at the end is an error', () => {
    throwsConfig(() => run(['m:a', '--port'], box.env()), 'YW_CONFIG_USAGE', '--port', 'command line', 'PORT');
  });

  test('an option followed by another option is missing its value', () => {
    throwsConfig(() => run(['--log-level', '--port', '80', 'm:a'], box.env()), 'YW_CONFIG_USAGE', '--log-level', "'--port'");
  });

  test('a second positional argument is an error', () => {
    throwsConfig(() => run(['hello:create_app("a",', '"b")'], box.env()), 'YW_CONFIG_USAGE', `'"b")'`, 'command line', 'quote');
  });

  test('an empty value given with = is invalid', () => {
    throwsConfig(() => run(['--port=', 'm:a'], box.env()), 'YW_CONFIG_INVALID', "--port ''", 'command line');
  });
});
