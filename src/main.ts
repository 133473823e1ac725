// argv -> config -> supervisor: the process the user started. Workers are
// forked with their own entry, src/worker/main.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, resolveInvocation, type Config } from './config/load';
import { log, setLogLevel } from './log/logger';
import { EXIT, type WorkerConfig } from './ipc/contract';
import { Supervisor } from './supervisor/supervisor';

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function workerConfig(config: Config): WorkerConfig {
  return {
    bindHost: config.host,
    port: config.port,
    backlog: config.backlog,
    tls: config.tlsCertPath !== null && config.tlsKeyPath !== null ? { certPath: config.tlsCertPath, keyPath: config.tlsKeyPath } : null,
    python: config.python,
    app: `${config.module}:${config.app}`,
    processes: config.processes,
    threads: config.threads,
    logLevel: config.logLevel,
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
    gracefulTimeoutMs: config.gracefulTimeoutMs,
    maxConnections: config.maxConnections,
  };
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
    process.stdout.write(`yimmo-wsgi ${version()}\n`);
    return;
  }
  const config = invocation.config;
  setLogLevel(config.logLevel);
  for (const warning of config.warnings) log.warning(warning);
  new Supervisor({
    config: workerConfig(config),
    banner: { version: version(), appSpec: `${config.module}:${config.app}` },
    reload: () => {
      // SIGHUP: the same argv and environment, the config file read again.
      const again = resolveInvocation(process.argv.slice(2), process.env);
      if (again.action !== 'run') throw new Error('the command line no longer runs a server');
      for (const warning of again.config.warnings) log.warning(warning);
      return workerConfig(again.config);
    },
  }).start();
}

runSupervisor();
