// One worker process as the supervisor sees it: forked with
// child_process.fork (not the cluster module, whose shared handles close
// when the last worker dies), its IPC channel, and its exit. Every failure
// of the channel (a worker that exits while a message is on its way) is
// logged here and never reaches the supervisor as an uncaught 'error'.
import { fork, type ChildProcess } from 'node:child_process';
import type * as net from 'node:net';
import { log } from '../log/logger';
import type { FromWorker, ToWorker } from '../ipc/contract';
import type { RawHandle } from './listen-handle';

export interface WorkerEvents {
  message(message: FromWorker): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
}

export class WorkerProcess {
  private readonly child: ChildProcess;
  private exited = false;

  constructor(script: string, events: WorkerEvents) {
    this.child = fork(script, [], {
      // A small V8 young generation keeps a worker's RSS down (about 25 MB
      // less under load, bench/README.md) at no measured cost.
      execArgv: [...process.execArgv, '--max-semi-space-size=1'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('error', (err) => log.warning(`worker ${this.pid}: ${err.message}`));
    this.child.on('message', (message: FromWorker) => events.message(message));
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      events.exit(code, signal);
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get isAlive(): boolean {
    return !this.exited;
  }

  /**
   * Sends a message (with a handle or socket); false when the channel is
   * closed. Later errors are logged, not thrown. `keepOpen`: the caller
   * closes its copy of a socket itself.
   */
  send(message: ToWorker, handle?: RawHandle | net.Socket, keepOpen = false): boolean {
    if (!this.child.connected) return false;
    const done = (err: Error | null): void => {
      if (err !== null) log.debug(`worker ${this.pid}: ${message.type} not delivered: ${err.message}`);
    };
    try {
      // The raw handle type is internal to Node; send() takes it as a net handle.
      // send()'s false only means "queued behind others": it will be delivered.
      if (handle === undefined) this.child.send(message, done);
      else this.child.send(message, handle as unknown as net.Server, { keepOpen }, done);
      return true;
    } catch (err) {
      log.debug(`worker ${this.pid}: ${message.type} not sent: ${(err as Error).message}`);
      return false;
    }
  }

  kill(signal: NodeJS.Signals): void {
    if (this.exited) return;
    try {
      this.child.kill(signal);
    } catch (err) {
      log.debug(`cannot signal worker ${this.pid}: ${(err as Error).message}`);
    }
  }
}
