// Raw values from every source -> a validated, frozen Config. The only
// reader of the environment in the server: it gets env as a parameter. The
// command line arrives already split into flag values (src/cli/argv.ts does
// that), so config imports nothing from cli: dependencies point cli -> config.
//
// Per setting, command line > environment > config file > default. Every value
// that is given is checked, even one that a higher source overrides, so a bad
// line in a config file is found the day it is written. File-system checks
// (python, TLS files, log files) apply to the chosen value only.

import { dirname, resolve } from 'node:path';
import type { LogLevel } from '../log/logger';
import type { LogFormat } from '../log/record';
import { ConfigError, didYouMean, invalidValue, nameIn, show, sourceOf, whereText } from './config-error';
import type { Origin, Source } from './config-error';
import { checkLogFile, checkTls, findExecutable } from './files';
import { findGroup, findUser, type Account } from './accounts';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { parseBind, UNIX_PATH_MAX, type BindText } from '../net/bind-spec';
import { ALL_SETTINGS, settingByKey, type AnySetting, type SettingKey } from './schema';
import { parseText, parseYaml, type SettingValue } from './values';
import { readConfigFile, type FileValues } from './yaml-file';

export { ConfigError } from './config-error';
export type { ConfigCode, Source } from './config-error';

/** What the command line gave: flag values as text by setting, and the MODULE:EXPRESSION argument. */
export interface CommandLineValues {
  readonly values: ReadonlyMap<SettingKey, string>;
  readonly positional: string | undefined;
}

/** Every setting, typed; times in milliseconds, sizes in bytes; absolute paths. */
export interface Config {
  readonly configFile: string | null;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** Absolute path, or null: errors go to stderr. */
  readonly errorLog: string | null;
  /** Absolute path, '-' (stdout), or null: no access log file. */
  readonly accessLog: string | null;
  readonly accessLogFormat: string;
  readonly port: number;
  /** One or more (--host repeated); each is bound on `port` unless --bind is given. */
  readonly host: readonly string[];
  /** --bind as given (unix paths made absolute); empty: not given (src/config/binds.ts decides). */
  readonly bind: readonly BindText[];
  /** chmod of the Unix sockets we create; null: as the umask leaves them. */
  readonly unixSocketMode: number | null;
  readonly processes: number;
  readonly threads: number;
  readonly module: string;
  readonly app: string;
  /** Absolute path of the interpreter (a bare name is looked up on PATH once, here). */
  readonly python: string;
  /** Absolute; null: stay where started. */
  readonly chdir: string | null;
  /** Absolute directories, in order. */
  readonly pythonPath: readonly string[];
  /** --env: variables set for the workers and the app. */
  readonly env: Readonly<Record<string, string>>;
  readonly user: Account | null;
  readonly group: { readonly name: string; readonly gid: number } | null;
  readonly umask: number | null;
  /** Absolute. */
  readonly pidFile: string | null;
  readonly idleTimeoutMs: number;
  readonly headerTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  /** 0 = off. */
  readonly requestTimeoutMs: number;
  readonly sendTimeoutMs: number;
  readonly hostStartTimeoutMs: number;
  /** 0 = stop at once. */
  readonly gracefulTimeoutMs: number;
  /** Host recycling (0 = off) and dev auto-reload. */
  readonly maxRequests: number;
  readonly maxRequestsJitter: number;
  readonly maxRssBytes: number;
  readonly maxHostAgeMs: number;
  readonly maxHostAgeJitterMs: number;
  readonly reload: boolean;
  /** Absolute paths. */
  readonly reloadExtraFiles: readonly string[];
  /** Both set (TLS on) or both null. */
  readonly tlsCertPath: string | null;
  readonly tlsKeyPath: string | null;
  readonly maxRequestLine: number;
  readonly maxHeaderBytes: number;
  readonly maxHeaders: number;
  readonly maxBodyBytes: number;
  readonly maxChunkExtension: number;
  readonly maxConnections: number;
  readonly backlog: number;
  readonly forwardedAllowIps: string;
  readonly remoteAddrFromForwarded: boolean;
  /** '' for none. */
  readonly rootPath: string;
  readonly proxyProtocol: boolean;
  readonly proxyAllowIps: string;
  readonly http2: boolean;
  readonly http2MaxConcurrentStreams: number;
  readonly http2MaxSessionMemoryBytes: number;
  /** HOST:PORT of the admin endpoint (/metrics, /status), or null: off. */
  readonly metricsBind: string | null;
  readonly slowRequestMs: number;
  /** Accepted for compatibility; no effect. */
  readonly useKqueue: boolean;
  /** Where each value came from. */
  readonly sources: { readonly [K in SettingKey]: Source };
  /** Things worth a log line at startup (a likely misspelt env var, a no-op setting). */
  readonly warnings: readonly string[];
}

// Compile-time check that Config has exactly the schema's settings.
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const configMatchesSchema: Exactly<Exclude<keyof Config, 'sources' | 'warnings'>, SettingKey> = true;
void configMatchesSchema;

type Env = Readonly<Record<string, string | undefined>>;
type Candidate = { readonly origin: Origin; readonly text: string } | { readonly origin: Origin; readonly yaml: unknown };

/** Throws ConfigError naming the setting, its source and the value. */
export function loadConfig(args: CommandLineValues, env: Env): Config {
  const candidates = new Map<SettingKey, Candidate[]>(ALL_SETTINGS.map((s) => [s.key, []]));
  const add = (key: SettingKey, c: Candidate): void => void candidates.get(key)?.push(c);

  for (const [key, text] of args.values) add(key, { origin: { kind: 'cli' }, text });
  if (args.positional !== undefined) {
    // Split at the FIRST colon only: the expression may contain colons itself.
    const colon = args.positional.indexOf(':');
    const module = colon < 0 ? args.positional : args.positional.slice(0, colon);
    add('module', { origin: { kind: 'positional' }, text: module });
    if (colon >= 0) add('app', { origin: { kind: 'positional' }, text: args.positional.slice(colon + 1) });
  }
  for (const s of ALL_SETTINGS) {
    const text = s.env === undefined ? undefined : env[s.env];
    // An empty variable counts as unset (`FOO= cmd`, compose files with empty defaults).
    if (s.env !== undefined && text !== undefined && text !== '') add(s.key, { origin: { kind: 'env', name: s.env }, text });
  }

  const configSetting = settingByKey('configFile');
  const configCandidate = candidates.get('configFile')?.[0];
  let fileDir = process.cwd();
  let configPath: string | null = null;
  if (configCandidate !== undefined) {
    const given = String(valueOf(configSetting, configCandidate));
    configPath = resolve(given);
    fileDir = dirname(configPath);
    const file: FileValues = readConfigFile(configPath, given, configSetting, configCandidate.origin);
    for (const [key, { value, path }] of file) add(key, { origin: { kind: 'file', file: given, path }, yaml: value });
  }

  const values = new Map<SettingKey, SettingValue | null>();
  const origins = new Map<SettingKey, Origin>();
  for (const s of ALL_SETTINGS) {
    const given = candidates.get(s.key) ?? [];
    const parsed = given.map((c) => valueOf(s, c)); // validates every source, not just the winner
    const winner = given[0];
    origins.set(s.key, winner?.origin ?? { kind: 'default' });
    values.set(s.key, winner === undefined ? defaultOf(s, env) : (parsed[0] ?? null));
  }

  const str = (key: SettingKey): string | null => {
    const v = values.get(key);
    return typeof v === 'string' ? v : null;
  };
  const origin = (key: SettingKey): Origin => origins.get(key) ?? { kind: 'default' };
  // Paths from the config file are relative to its directory; others to the working directory.
  const baseDir = (key: SettingKey): string => (origin(key).kind === 'file' ? fileDir : process.cwd());
  const absolute = (key: SettingKey): string | null => {
    const v = str(key);
    return v === null ? null : resolve(baseDir(key), v);
  };

  // '-' names a standard stream, not a file called '-'.
  const absoluteLog = (key: SettingKey): string | null => (str(key) === '-' ? '-' : absolute(key));

  const module = str('module');
  const app = str('app');
  if (module === null || app === null) throw noApp(module, app, origin);

  const python = str('python') ?? 'python3';
  const found = findExecutable(python, baseDir('python'), env['PATH']);
  if ('reason' in found) {
    const o = origin('python');
    const viaVenv = o.kind !== 'default' ? '' : env[LAUNCHER_PYTHON_ENV] ? ', the interpreter yimmo-wsgi was installed with'
      : env['VIRTUAL_ENV'] ? ', from VIRTUAL_ENV' : '';
    throw new ConfigError(
      'YW_CONFIG_PYTHON',
      `python interpreter ${show(python)} (${nameIn(settingByKey('python'), o)}, from ${whereText(o)}${viaVenv}) ` +
        `${found.reason}; set --python or YIMMO_PYTHON`,
    );
  }

  const cert = absolute('tlsCertPath');
  const key = absolute('tlsKeyPath');
  checkTls(cert, key, str('tlsCertPath'), str('tlsKeyPath'), origin('tlsCertPath'), origin('tlsKeyPath'));

  checkLogFile('errorLog', absoluteLog('errorLog'), str('errorLog'), origin('errorLog'));
  checkLogFile('accessLog', absoluteLog('accessLog'), str('accessLog'), origin('accessLog'));
  const chdir = absolute('chdir');
  if (chdir !== null && !isDirectory(chdir)) throw notFound('chdir', str('chdir'), origin('chdir'), 'is not an existing directory');
  const pythonPath = (str('pythonPath') ?? '').split(',').map((d) => d.trim()).filter((d) => d !== '')
    .map((d) => resolve(baseDir('pythonPath'), d));
  const userText = str('user');
  const user = userText === null ? null : findUser(userText) ?? null;
  if (userText !== null && user === null) throw notFound('user', userText, origin('user'), 'is not a user of this system (/etc/passwd)');
  const groupText = str('group');
  const group = groupText === null ? null : findGroup(groupText) ?? null;
  if (groupText !== null && group === null) throw notFound('group', groupText, origin('group'), 'is not a group of this system (/etc/group)');
  // --http2 accepts sockets with http2.performServerHandshake (Node 20.12+, 21.7+).
  // node:http2 is loaded for this check only when asked for (~4 MB of RSS).
  if (values.get('http2') === true && typeof (require('node:http2') as { performServerHandshake?: unknown }).performServerHandshake !== 'function') {
    throw notFound('http2', 'true', origin('http2'), `needs Node.js 20.12 or newer (this is ${process.version})`);
  }
  const umaskText = str('umask');
  const pidFile = absolute('pidFile');
  if (pidFile !== null && !isDirectory(dirname(pidFile))) {
    throw notFound('pidFile', str('pidFile'), origin('pidFile'), 'is in a directory that does not exist');
  }

  const bind = binds(str('bind'), origin('bind'), baseDir('bind'));
  if (bind.length > 0) {
    for (const key of ['host', 'port'] as const) {
      const o = origin(key);
      if (o.kind === 'default') continue;
      throw new ConfigError(
        'YW_CONFIG_INVALID',
        `${nameIn(settingByKey(key), o)} (from ${whereText(o)}) cannot be combined with ${nameIn(settingByKey('bind'), origin('bind'))} ` +
          `(from ${whereText(origin('bind'))}): --host/--port are a shorthand for one --bind HOST:PORT; give every address with --bind`,
      );
    }
  }
  const modeText = str('unixSocketMode');

  const sources = Object.fromEntries(ALL_SETTINGS.map((s) => [s.key, sourceOf(origin(s.key))])) as Config['sources'];
  const num = (k: SettingKey): number => Number(values.get(k));
  const config: Config = {
    configFile: configPath,
    logLevel: values.get('logLevel') as LogLevel,
    logFormat: values.get('logFormat') as LogFormat,
    // stderr is the error log's default: '-' says the same.
    errorLog: absoluteLog('errorLog') === '-' ? null : absoluteLog('errorLog'),
    accessLog: absoluteLog('accessLog'),
    accessLogFormat: str('accessLogFormat') ?? '',
    port: num('port'),
    host: (str('host') ?? '0.0.0.0').split('\n'),
    bind,
    unixSocketMode: modeText === null ? null : parseInt(modeText.replace(/^0o/i, ''), 8),
    processes: num('processes'),
    threads: num('threads'),
    module,
    app,
    python: found.path,
    chdir,
    pythonPath,
    env: Object.fromEntries((str('env') ?? '').split('\n').filter((l) => l !== '').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])),
    user,
    group,
    umask: umaskText === null ? null : parseInt(umaskText.replace(/^0o/i, ''), 8),
    pidFile,
    idleTimeoutMs: num('idleTimeoutMs'),
    headerTimeoutMs: num('headerTimeoutMs'),
    bodyTimeoutMs: num('bodyTimeoutMs'),
    requestTimeoutMs: num('requestTimeoutMs'),
    sendTimeoutMs: num('sendTimeoutMs'),
    hostStartTimeoutMs: num('hostStartTimeoutMs'),
    gracefulTimeoutMs: num('gracefulTimeoutMs'),
    maxRequests: num('maxRequests'),
    maxRequestsJitter: num('maxRequestsJitter'),
    maxRssBytes: num('maxRssBytes'),
    maxHostAgeMs: num('maxHostAgeMs'),
    maxHostAgeJitterMs: num('maxHostAgeJitterMs'),
    reload: values.get('reload') === true,
    reloadExtraFiles: (str('reloadExtraFiles') ?? '').split('\n').filter((f) => f !== '').map((f) => resolve(baseDir('reloadExtraFiles'), f)),
    tlsCertPath: cert,
    tlsKeyPath: key,
    maxRequestLine: num('maxRequestLine'),
    maxHeaderBytes: num('maxHeaderBytes'),
    maxHeaders: num('maxHeaders'),
    maxBodyBytes: num('maxBodyBytes'),
    maxChunkExtension: num('maxChunkExtension'),
    maxConnections: num('maxConnections'),
    backlog: num('backlog'),
    forwardedAllowIps: str('forwardedAllowIps') ?? '',
    remoteAddrFromForwarded: values.get('remoteAddrFromForwarded') === true,
    rootPath: str('rootPath') ?? '',
    proxyProtocol: values.get('proxyProtocol') === true,
    proxyAllowIps: str('proxyAllowIps') ?? '',
    http2: values.get('http2') === true,
    http2MaxConcurrentStreams: num('http2MaxConcurrentStreams'),
    http2MaxSessionMemoryBytes: num('http2MaxSessionMemoryBytes'),
    metricsBind: str('metricsBind'),
    slowRequestMs: num('slowRequestMs'),
    useKqueue: values.get('useKqueue') === true,
    sources,
    warnings: warnings(env, origin('useKqueue')),
  };
  return deepFreeze(config);
}

/**
 * --bind, parsed (values.ts checked the syntax); unix paths absolute (the
 * server may --chdir before it binds) and their directory usable now, so a
 * typo stops the server before the app loads rather than after.
 */
function binds(text: string | null, o: Origin, base: string): BindText[] {
  if (text === null) return [];
  const setting = settingByKey('bind');
  return text.split('\n').map((item) => {
    const parsed = parseBind(item);
    if ('error' in parsed) throw invalidValue(setting, o, item, `must be ${parsed.error}`);
    const b = parsed.bind;
    if (b.kind !== 'unix') return b;
    const path = resolve(base, b.path);
    const bad = (what: string): ConfigError =>
      new ConfigError('YW_CONFIG_INVALID', `invalid ${nameIn(setting, o)} ${show(item)} (from ${whereText(o)}): ${what}`);
    if (Buffer.byteLength(path) > UNIX_PATH_MAX) throw bad(`the absolute path ${show(path)} is longer than ${UNIX_PATH_MAX} bytes (the kernel's limit)`);
    const dir = dirname(path);
    if (!isDirectory(dir)) throw bad(`its directory ${show(dir)} does not exist`);
    try {
      accessSync(dir, fsConstants.W_OK | fsConstants.X_OK);
    } catch {
      throw bad(`permission denied: cannot create a socket in ${show(dir)} (it needs write and search permission)`);
    }
    return { kind: 'unix', path };
  });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function notFound(key: SettingKey, given: string | null, o: Origin, what: string): ConfigError {
  return new ConfigError('YW_CONFIG_INVALID', `invalid ${nameIn(settingByKey(key), o)} ${show(given)} (from ${whereText(o)}): ${what}`);
}

function valueOf(s: AnySetting, c: Candidate): SettingValue {
  const parsed = 'text' in c ? parseText(s, c.text) : parseYaml(s, c.yaml);
  if (!parsed.ok) throw invalidValue(s, c.origin, 'text' in c ? c.text : c.yaml, parsed.reason);
  return parsed.value;
}

/**
 * Set by the pip-installed launcher (python/yimmo_wsgi) to its own interpreter,
 * so an app runs in the environment yimmo-wsgi was installed into with no flag.
 * It changes only the default: --python, YIMMO_PYTHON and the YAML key still win.
 */
export const LAUNCHER_PYTHON_ENV = 'YIMMO_WSGI_LAUNCHER_PYTHON';

/** The interpreter used when none is configured (also what --version reports). */
export function defaultPython(env: Env): string {
  const launcher = env[LAUNCHER_PYTHON_ENV];
  if (launcher) return launcher;
  const venv = env['VIRTUAL_ENV'];
  return venv ? resolve(venv, 'bin', 'python') : 'python3';
}

function defaultOf(s: AnySetting, env: Env): SettingValue | null {
  if (s.key === 'python') return defaultPython(env);
  if (s.type === 'seconds') return Math.round(s.default * 1000);
  return s.default;
}

function noApp(module: string | null, app: string | null, origin: (k: SettingKey) => Origin): ConfigError {
  if (module === null && app === null) {
    return new ConfigError(
      'YW_CONFIG_NO_APP',
      'no WSGI application given (module and app not set on the command line, in the environment or in the ' +
        'config file): pass MODULE:EXPRESSION (e.g. hello:app), or set YIMMO_WSGI_MODULE and YIMMO_WSGI_APP, ' +
        'or wsgi.module and wsgi.app in the config file',
    );
  }
  const [have, missing, env, yaml] = module === null
    ? (['app', 'module', 'YIMMO_WSGI_MODULE', 'wsgi.module'] as const)
    : (['module', 'app', 'YIMMO_WSGI_APP', 'wsgi.app'] as const);
  const o = origin(have);
  const hint = module === null ? `MODULE:${app ?? ''}` : `${module}:EXPRESSION`;
  return new ConfigError(
    'YW_CONFIG_NO_APP',
    `no WSGI ${missing} given (${nameIn(settingByKey(have), o)} ${show(module ?? app)} is from ${whereText(o)}, ` +
      `but ${env} and ${yaml} are not set): pass ${hint}, or set ${env} or ${yaml}`,
  );
}

const KNOWN_ENV: readonly string[] = [...ALL_SETTINGS.flatMap((s) => (s.env === undefined ? [] : [s.env])), LAUNCHER_PYTHON_ENV];

function warnings(env: Env, kqueue: Origin): string[] {
  const out: string[] = [];
  if (kqueue.kind !== 'default') {
    out.push(`${nameIn(settingByKey('useKqueue'), kqueue)} (from ${whereText(kqueue)}) has no effect: ` +
      'Node picks the best poller of the system itself');
  }
  for (const name of Object.keys(env)) {
    if (!name.startsWith('YIMMO_') || KNOWN_ENV.includes(name)) continue;
    const near = didYouMean(name, KNOWN_ENV);
    if (near !== undefined) out.push(`environment variable ${name} is not a setting and is ignored (did you mean ${near}?)`);
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
