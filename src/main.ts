// argv -> config -> supervisor: the process the user started. Workers are
// forked with their own entry, src/worker/main.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkReport, printConfig } from './cli/config-report';
import { resolveInvocation } from './cli/invocation';
import { ConfigError, type Config } from './config/load';
import { configureLogging, log, setLogLevel } from './log/logger';
import { openLogFile } from './log/log-file';
import { EXIT, type WorkerConfig } from './ipc/contract';
import { Supervisor } from './supervisor/supervisor';
import { SignalQueue } from './supervisor/signals';
import { prepareProcess, readsExecutableVariable, type Prepared } from './process-setup';
import { memberOf } from './config/accounts';
import { versionsText } from './cli/versions';
import { splitHostPort } from './config/values';
import { resolveBinds, type ResolvedBinds } from './config/binds';
import { inheritedAddress } from './cli/inherited-address';
import type { Bind } from './net/bind-spec';
import { ACTIVATION_VARIABLES, inheritedSockets } from './net/socket-activation';

/**
 * systemd socket activation, read once at start: the variables are removed
 * so that workers, Python hosts and the app's own children never take the
 * sockets for theirs; a reload (SIGHUP) reuses what was read here.
 */
const inherited = inheritedSockets(process.env, process.pid);
for (const name of ACTIVATION_VARIABLES) delete process.env[name];

/** The addresses to listen on; exits 2 with one line when they are wrong (an fd:// that is no socket...). */
function bindsOf(config: Config): readonly Bind[] {
  const resolved = resolvedBinds(config);
  for (const warning of resolved.warnings) log.warning(warning);
  return resolved.binds;
}

function resolvedBinds(config: Config): ResolvedBinds {
  try {
    return resolveBinds(config, inherited);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`yimmo-wsgi: ${err.message}\n`);
    process.exit(EXIT.config);
  }
}

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function workerConfig(config: Config, binds: readonly Bind[]): WorkerConfig {
  return {
    binds,
    unixSocketMode: config.unixSocketMode,
    backlog: config.backlog,
    tls: config.tlsCertPath !== null && config.tlsKeyPath !== null ? { certPath: config.tlsCertPath, keyPath: config.tlsKeyPath } : null,
    python: config.python,
    app: `${config.module}:${config.app}`,
    processes: config.processes,
    threads: config.threads,
    logLevel: config.logLevel,
    logging: {
      format: config.logFormat,
      errorLog: config.errorLog,
      accessLog: config.accessLog,
      accessLogFormat: config.accessLogFormat,
    },
    limits: {
      maxRequestLine: config.maxRequestLine,
      maxHeaderBytes: config.maxHeaderBytes,
      maxHeaders: config.maxHeaders,
      maxBodyBytes: config.maxBodyBytes,
      maxChunkExtension: config.maxChunkExtension,
    },
    idleTimeoutMs: config.idleTimeoutMs,
    headerTimeoutMs: config.headerTimeoutMs,
    bodyTimeoutMs: config.bodyTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    sendTimeoutMs: config.sendTimeoutMs,
    hostStartTimeoutMs: config.hostStartTimeoutMs,
    gracefulTimeoutMs: config.gracefulTimeoutMs,
    maxConnections: config.maxConnections,
    forwardedAllowIps: config.forwardedAllowIps,
    remoteAddrFromForwarded: config.remoteAddrFromForwarded,
    rootPath: config.rootPath,
    proxyProtocol: config.proxyProtocol,
    proxyAllowIps: config.proxyAllowIps,
    http2: config.http2
      ? { maxConcurrentStreams: config.http2MaxConcurrentStreams, maxSessionMemoryBytes: config.http2MaxSessionMemoryBytes }
      : null,
    hostTitles: readsExecutableVariable(config.python),
    privileges: {
      uid: config.user?.uid ?? null,
      gid: config.group?.gid ?? config.user?.gid ?? null,
      groups: config.user === null ? [] : memberOf(config.user.name),
    },
    slowRequestMs: config.slowRequestMs,
    adminEndpoint: config.metricsBind !== null,
    recycle: {
      maxRequests: config.maxRequests,
      maxRequestsJitter: config.maxRequestsJitter,
      maxRssBytes: config.maxRssBytes,
      maxHostAgeMs: config.maxHostAgeMs,
      maxHostAgeJitterMs: config.maxHostAgeJitterMs,
    },
    reload: { enabled: config.reload, extraFiles: config.reloadExtraFiles },
  };
}

/**
 * Opens the log files here, before any worker forks: a file that cannot be
 * opened (its directory removed since the config check, say) is a config
 * error naming the setting, not a worker that dies and restarts forever.
 */
function openLogs(config: Config): void {
  const opening = (flag: string, path: string, open: () => void): void => {
    try {
      open();
    } catch (err) {
      process.stderr.write(`yimmo-wsgi: cannot open log file '${path}' (--${flag}): ${(err as Error).message}\n`);
      process.exit(EXIT.config);
    }
  };
  if (config.errorLog !== null) {
    const errorLog = config.errorLog;
    opening('error-log', errorLog, () => configureLogging({ format: config.logFormat, errorLog }));
  } else configureLogging({ format: config.logFormat, errorLog: null });
  const accessLog = config.accessLog;
  if (accessLog !== null && accessLog !== '-') opening('access-log', accessLog, () => void openLogFile({ path: accessLog }));
}

function runSupervisor(): void {
  let invocation;
  try {
    invocation = resolveInvocation(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`yimmo-wsgi: ${err.message}\n`);
    process.exit(EXIT.config);
  }
  if (invocation.action === 'help') {
    process.stdout.write(invocation.text);
    return;
  }
  if (invocation.action === 'version') {
    process.stdout.write(versionsText(process.env));
    return;
  }
  const config = invocation.config;
  if (invocation.action === 'check-config') {
    // The addresses too, the inherited sockets among them (checked, not taken: nothing listens here).
    const { binds, warnings } = resolvedBinds(config);
    process.stdout.write(checkReport(config, { binds, warnings, addressOf: inheritedAddress }));
    return;
  }
  if (invocation.action === 'print-config') {
    process.stdout.write(printConfig(config));
    return;
  }
  // Before anything that takes time (the Python probe, forks): a stop that
  // arrives now is honoured by the supervisor once it runs.
  const signals = new SignalQueue().install();
  setLogLevel(config.logLevel);
  openLogs(config);
  for (const warning of config.warnings) log.warning(warning);
  const appSpec = `${config.module}:${config.app}`;
  let prepared: Prepared;
  try {
    prepared = prepareProcess(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`yimmo-wsgi: ${err.message}\n`);
    process.exit(EXIT.config);
  }
  process.title = `yimmo-wsgi: supervisor [${appSpec}]`;
  const binds = bindsOf(config);
  const metricsBind = config.metricsBind === null ? null : (splitHostPort(config.metricsBind) ?? null);
  new Supervisor({
    config: workerConfig(config, binds),
    banner: { version: version(), appSpec, onListening: () => prepared.listening() },
    metricsBind,
    signals,
    reload: () => {
      // SIGHUP: the same argv and environment, the config file read again.
      const again = resolveInvocation(process.argv.slice(2), process.env);
      if (again.action !== 'run') throw new Error('the command line no longer runs a server');
      for (const warning of again.config.warnings) log.warning(warning);
      // The supervisor keeps its sockets; it warns when the addresses read now differ.
      return workerConfig(again.config, resolveBinds(again.config, inherited).binds);
    },
  }).start();
}

runSupervisor();
