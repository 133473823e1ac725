// One sample value per setting and per source (command line, environment,
// config file), with the typed value each must produce. The flag, env and
// YAML tests and the precedence tests all run from this table; a test checks
// it covers every setting of the schema but the few with their own tests.

import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Config } from '../../src/config/load';
import type { SettingKey } from '../../src/config/schema';
import type { Sandbox } from './helpers';

export interface Sample {
  readonly key: SettingKey;
  /** Text for the long flag; absent: the setting has no flag. */
  readonly cli?: readonly [text: string, value: unknown];
  readonly env: readonly [text: string, value: unknown];
  readonly yaml: readonly [value: unknown, typed: unknown];
}

/** Settings that the generic table cannot express; each has dedicated tests. */
export const SPECIAL: readonly SettingKey[] = ['configFile', 'module', 'app', 'tlsCertPath', 'tlsKeyPath'];

export function samples(box: Sandbox): Sample[] {
  const cliPython = box.executable('cli/python');
  box.executable('bin/env-python');
  box.executable('py/file-python');
  return [
    { key: 'logLevel', cli: ['debug', 'DEBUG'], env: ['Info', 'INFO'], yaml: ['warn', 'WARNING'] },
    { key: 'port', cli: ['8080', 8080], env: ['9090', 9090], yaml: [7070, 7070] },
    { key: 'host', cli: ['127.0.0.1', ['127.0.0.1']], env: ['[::1], 127.0.0.1', ['::1', '127.0.0.1']], yaml: [['localhost', '[::1]'], ['localhost', '::1']] },
    {
      key: 'bind',
      cli: [`unix:${join(box.dir, 'cli.sock')}`, [{ kind: 'unix', path: join(box.dir, 'cli.sock') }]],
      env: ['127.0.0.1:8000,[::1]:0\nfd://3', [{ kind: 'tcp', host: '127.0.0.1', port: 8000 }, { kind: 'tcp', host: '::1', port: 0 }, { kind: 'fd', fd: 3, name: '' }]],
      // Relative to the config file's directory; unix:// is unix: too; fd://NAME is looked up at start.
      yaml: [['unix://file.sock', 'fd://web', 'tcp://localhost:80'], [{ kind: 'unix', path: join(box.dir, 'file.sock') }, { kind: 'fdname', name: 'web' }, { kind: 'tcp', host: 'localhost', port: 80 }]],
    },
    { key: 'unixSocketMode', cli: ['660', 0o660], env: ['0o600', 0o600], yaml: [770, 0o770] },
    { key: 'processes', cli: ['2', 2], env: ['3', 3], yaml: [4, 4] },
    { key: 'threads', cli: ['8', 8], env: ['16', 16], yaml: [32, 32] },
    {
      key: 'python',
      cli: [cliPython, cliPython],
      env: ['env-python', join(box.bin, 'env-python')],
      // Relative to the config file's directory (the sandbox).
      yaml: ['py/file-python', join(box.dir, 'py/file-python')],
    },
    { key: 'chdir', cli: [box.dir, box.dir], env: [box.bin, box.bin], yaml: ['py', join(box.dir, 'py')] },
    { key: 'pythonPath', cli: ['/a,/b', ['/a', '/b']], env: ['/c', ['/c']], yaml: ['lib, src', [join(box.dir, 'lib'), join(box.dir, 'src')]] },
    { key: 'env', cli: ['A=1', { A: '1' }], env: ['B=2\nC=x=y', { B: '2', C: 'x=y' }], yaml: [{ D: 'd', E: 5 }, { D: 'd', E: '5' }] },
    { key: 'user', cli: ['root', { name: 'root', uid: 0, gid: 0 }], env: ['65534', { name: 'nobody', uid: 65534, gid: 65534 }], yaml: ['daemon', { name: 'daemon', uid: 1, gid: 1 }] },
    { key: 'group', cli: ['root', { name: 'root', gid: 0 }], env: ['65534', { name: 'nogroup', gid: 65534 }], yaml: ['daemon', { name: 'daemon', gid: 1 }] },
    { key: 'umask', cli: ['027', 0o27], env: ['0o077', 0o77], yaml: ['22', 0o22] },
    { key: 'pidFile', cli: ['/tmp/a.pid', '/tmp/a.pid'], env: [join(box.dir, 'b.pid'), join(box.dir, 'b.pid')], yaml: ['c.pid', join(box.dir, 'c.pid')] },
    { key: 'idleTimeoutMs', cli: ['1.5', 1500], env: ['2.25', 2250], yaml: [0.5, 500] },
    { key: 'headerTimeoutMs', cli: ['3', 3000], env: ['4', 4000], yaml: [5, 5000] },
    { key: 'bodyTimeoutMs', cli: ['0.1', 100], env: ['7', 7000], yaml: [8, 8000] },
    { key: 'requestTimeoutMs', cli: ['0', 0], env: ['120', 120000], yaml: [30.5, 30500] },
    { key: 'sendTimeoutMs', cli: ['2.5', 2500], env: ['90', 90000], yaml: [15, 15000] },
    { key: 'hostStartTimeoutMs', cli: ['2.5', 2500], env: ['90', 90000], yaml: [120, 120000] },
    { key: 'gracefulTimeoutMs', cli: ['0', 0], env: ['5', 5000], yaml: [1, 1000] },
    { key: 'maxRequests', cli: ['1000', 1000], env: ['20', 20], yaml: [50, 50] },
    { key: 'maxRequestsJitter', cli: ['50', 50], env: ['7', 7], yaml: [9, 9] },
    { key: 'maxRssBytes', cli: ['512M', 536870912], env: ['1G', 1073741824], yaml: [1048576, 1048576] },
    { key: 'maxHostAgeMs', cli: ['3600', 3600000], env: ['0.5', 500], yaml: [86400, 86400000] },
    { key: 'maxHostAgeJitterMs', cli: ['60', 60000], env: ['2', 2000], yaml: [1.5, 1500] },
    { key: 'reload', cli: ['1', true], env: ['0', false], yaml: [true, true] },
    {
      key: 'reloadExtraFiles',
      cli: ['/srv/a.html', ['/srv/a.html']],
      env: [`${join(box.dir, 'b.txt')}\n/srv/c.ini`, [join(box.dir, 'b.txt'), '/srv/c.ini']],
      // Relative to the config file's directory (the sandbox).
      yaml: [['t/base.html', '/abs.cfg'], [join(box.dir, 't/base.html'), '/abs.cfg']],
    },
    { key: 'maxRequestLine', cli: ['4096', 4096], env: ['2048', 2048], yaml: [1024, 1024] },
    { key: 'maxHeaderBytes', cli: ['32K', 32768], env: ['1M', 1048576], yaml: ['16k', 16384] },
    { key: 'maxHeaders', cli: ['50', 50], env: ['60', 60], yaml: [70, 70] },
    { key: 'maxBodyBytes', cli: ['10M', 10485760], env: ['512K', 524288], yaml: [2147483648, 2147483648] },
    { key: 'maxChunkExtension', cli: ['0', 0], env: ['100', 100], yaml: [200, 200] },
    { key: 'maxConnections', cli: ['10', 10], env: ['20', 20], yaml: [30, 30] },
    { key: 'backlog', cli: ['128', 128], env: ['256', 256], yaml: [512, 512] },
    { key: 'logFormat', cli: ['json', 'json'], env: ['Text', 'text'], yaml: ['json', 'json'] },
    {
      key: 'errorLog',
      cli: [join(box.dir, 'cli-error.log'), join(box.dir, 'cli-error.log')],
      env: [join(box.dir, 'env-error.log'), join(box.dir, 'env-error.log')],
      // Relative to the config file's directory (the sandbox).
      yaml: ['file-error.log', join(box.dir, 'file-error.log')],
    },
    {
      key: 'accessLog',
      cli: ['-', '-'],
      env: [join(box.dir, 'env-access.log'), join(box.dir, 'env-access.log')],
      yaml: ['access.log', join(box.dir, 'access.log')],
    },
    {
      key: 'accessLogFormat',
      cli: ['%(h)s', '%(h)s'],
      env: ['%(r)s %(s)s', '%(r)s %(s)s'],
      yaml: ['%({x-request-id}i)s %(D)s', '%({x-request-id}i)s %(D)s'],
    },
    { key: 'forwardedAllowIps', cli: ['10.0.0.0/8, ::1', '10.0.0.0/8, ::1'], env: ['*', '*'], yaml: ['192.168.0.1', '192.168.0.1'] },
    { key: 'remoteAddrFromForwarded', cli: ['false', false], env: ['true', true], yaml: [true, true] },
    { key: 'rootPath', cli: ['/app', '/app'], env: ['/a/b', '/a/b'], yaml: ['/x', '/x'] },
    { key: 'proxyProtocol', cli: ['0', false], env: ['1', true], yaml: [true, true] },
    { key: 'http2', cli: ['1', true], env: ['0', false], yaml: [true, true] },
    { key: 'http2MaxConcurrentStreams', cli: ['10', 10], env: ['200', 200], yaml: [1, 1] },
    { key: 'http2MaxSessionMemoryBytes', cli: ['2M', 2 * 1024 * 1024], env: ['1048576', 1048576], yaml: ['64M', 64 * 1024 * 1024] },
    { key: 'proxyAllowIps', cli: ['10.1.0.0/16', '10.1.0.0/16'], env: ['fd00::/8', 'fd00::/8'], yaml: ['127.0.0.1', '127.0.0.1'] },
    { key: 'metricsBind', cli: ['127.0.0.1:9091', '127.0.0.1:9091'], env: ['[::1]:0', '[::1]:0'], yaml: ['localhost:9100', 'localhost:9100'] },
    { key: 'slowRequestMs', cli: ['0.5', 500], env: ['2', 2000], yaml: [10, 10000] },
    { key: 'useKqueue', env: ['0', false], yaml: [true, true] },
  ];
}

/** A YAML document setting each dotted path to its value. */
export function yamlText(entries: readonly (readonly [path: string, value: unknown])[]): string {
  const root: Record<string, unknown> = {};
  for (const [path, value] of entries) {
    const parts = path.split('.');
    let level = root;
    for (const part of parts.slice(0, -1)) {
      const next = level[part];
      const group: Record<string, unknown> = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : {};
      level[part] = group;
      level = group;
    }
    level[parts[parts.length - 1] ?? path] = value;
  }
  return stringify(root);
}

export function valueOf(config: Config, key: SettingKey): unknown {
  return config[key];
}
