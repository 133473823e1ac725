// Starting a Python host: spawn, handshake (HELLO or LOAD_ERROR), bounded
// by the start timeout, then the socket hand-over probe that decides
// whether direct writes are offered. See docs/protocol.md "Starting up".
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import type { Socket } from 'node:net';
import { log, type LogLevel } from '../log/logger';
import { relayHostStderr } from '../log/host-stderr';
import { FrameDecoder, FrameType, PROTOCOL_VERSION } from './protocol';
import { prepareChannel, probeHandOver } from './handle-passing';
import { Host, HostStartError } from './host';

/** Keep identical to BOOTSTRAP in python/yimmo_host/__init__.py. */
export const BOOTSTRAP = 'import sys; sys.path.append({dir}); from yimmo_host.main import main; main()';
const PYTHON_DIR = path.resolve(__dirname, '..', '..', '..', 'python');
/** How long the hand-over probe may take; a host that loaded its app answers in milliseconds. */
const PROBE_TIMEOUT_MS = 5000;

export interface HostOptions {
  readonly python: string;
  readonly app: string;
  readonly threads: number;
  readonly multiprocess: boolean;
  readonly logLevel: LogLevel;
  readonly requestWindow: number;
  readonly responseWindow: number;
  /**
   * How long a direct write waits for a client that accepts nothing, and the
   * bound on every wait of the host for the worker; 0 = no limit.
   */
  readonly directTimeoutMs: number;
  /** How long the host may take to load the app and send HELLO before it is killed. */
  readonly startTimeoutMs: number;
  /**
   * Process title, given as argv[0]; the interpreter then learns its own path
   * from PYTHONEXECUTABLE, which only Python >= 3.11 reads on Linux: absent for
   * older ones (their venv detection needs the real argv[0]).
   */
  readonly title?: string;
  /** --reload: the host lists the app's Python files it loaded (HELLO `modules`). */
  readonly reportModules?: boolean;
  /** Ids the host runs as (--user / --group); absent: the worker's. */
  readonly uid?: number;
  readonly gid?: number;
}

interface Hello {
  readonly pid: number;
  readonly python: string;
  readonly executable: string;
  readonly handoff: boolean;
  readonly modules: readonly string[];
}

/** Starts a host and resolves once its application is loaded (HELLO) and direct writes are probed. */
export async function startHost(options: HostOptions): Promise<Host> {
  const json = JSON.stringify({
    protocol: PROTOCOL_VERSION,
    app: options.app,
    threads: options.threads,
    multiprocess: options.multiprocess,
    log_level: options.logLevel,
    log_records: true, // its log lines come back through its stderr, which we read
    request_window: options.requestWindow,
    response_window: options.responseWindow,
    direct_timeout: options.directTimeoutMs / 1000,
    report_modules: options.reportModules === true,
  });
  const bootstrap = BOOTSTRAP.replace('{dir}', JSON.stringify(PYTHON_DIR));
  // fd 3: the bridge socket. fd 4: Node's IPC channel, used only to hand
  // client sockets over for direct writes (docs/protocol.md). fd 2 is read
  // by the worker: the host's records and the app's stderr go to the error
  // log (src/log/host-stderr.ts).
  const ids = { ...(options.uid !== undefined ? { uid: options.uid } : {}), ...(options.gid !== undefined ? { gid: options.gid } : {}) };
  const titled = options.title === undefined ? {}
    : { argv0: options.title, env: { ...process.env, PYTHONEXECUTABLE: options.python, YIMMO_HOST_TITLED: '1' } };
  const child = spawn(options.python, ['-c', bootstrap, json], { stdio: ['ignore', 'inherit', 'pipe', 'pipe', 'ipc'], ...ids, ...titled });
  relayHostStderr(child.stderr, child.pid);
  prepareChannel(child);
  const socket = child.stdio[3] as Socket;
  const hello = await new Promise<Hello>((resolve, reject) => {
    const decoder = new FrameDecoder();
    let settled = false;
    // An import that waits forever (a database down at import) must not
    // leave the worker without a host and without a word: the wait is bounded.
    const timer = setTimeout(() => {
      const seconds = options.startTimeoutMs / 1000;
      fail(new HostStartError(`the application did not finish loading within ${seconds} s (--host-start-timeout); is its import waiting for something?`, true));
    }, options.startTimeoutMs);
    const fail = (error: HostStartError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', (err) => fail(new HostStartError(`cannot start python '${options.python}': ${err.message}`, false)));
    child.once('exit', (code, signal) => fail(new HostStartError(`python host exited during startup (${signal ?? `status ${code}`})`, false)));
    const onData = (chunk: Buffer): void => {
      try {
        decoder.push(chunk, (frame) => {
          if (settled) return;
          if (frame.type === FrameType.LOAD_ERROR) return fail(new HostStartError(frame.payload.toString('utf8'), true));
          if (frame.type !== FrameType.HELLO) return fail(new HostStartError(`unexpected frame 0x${frame.type.toString(16)} before HELLO`, false));
          const fields = JSON.parse(frame.payload.toString('utf8')) as Record<string, unknown>;
          if (fields['protocol'] !== PROTOCOL_VERSION) {
            return fail(new HostStartError(`python host speaks protocol ${String(fields['protocol'])}, expected ${PROTOCOL_VERSION}`, false));
          }
          settled = true;
          clearTimeout(timer);
          socket.off('data', onData);
          child.removeAllListeners('exit');
          child.removeAllListeners('error');
          socket.pause(); // frames that follow HELLO wait for the Host to route them
          resolve({
            pid: Number(fields['pid']),
            python: String(fields['python']),
            executable: String(fields['executable']),
            handoff: fields['direct'] === true,
            modules: Array.isArray(fields['modules']) ? fields['modules'].filter((m): m is string => typeof m === 'string') : [],
          });
        });
      } catch (err) {
        fail(new HostStartError(`bad handshake from python host: ${(err as Error).message}`, false));
      }
    };
    socket.on('data', onData);
  });
  // The host reads the handoff channel; offer direct writes only if a real
  // socket makes the round trip (a Node release may change the internals).
  let direct = false;
  if (hello.handoff && child.exitCode === null) {
    const probeStarted = Date.now();
    const failure = await probeHandOver(child, PROBE_TIMEOUT_MS);
    log.debug(`python host ${hello.pid}: socket hand-over probe ${failure === undefined ? 'passed' : 'failed'} in ${Date.now() - probeStarted} ms`);
    if (failure === undefined) direct = true;
    else log.warning(`python host ${hello.pid}: direct writes disabled, the socket hand-over probe failed: ${failure}`);
  }
  const host = new Host(child, socket, {
    pid: hello.pid,
    python: hello.python,
    executable: hello.executable,
    direct,
    workerTimeoutMs: options.directTimeoutMs,
    modules: hello.modules,
  });
  socket.resume();
  if (!host.isAlive) throw new HostStartError('python host exited during startup', false);
  return host;
}
