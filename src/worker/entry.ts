// Worker process entry: wait for the configuration from the supervisor, run.
import * as net from 'node:net';
import { Worker } from './worker';
import { workerTitle } from './titles';
import type { FromWorker, ToWorker } from '../ipc/contract';

export function runWorkerProcess(): void {
  let worker: Worker | undefined;
  const report = (message: FromWorker): void => {
    if (process.connected) process.send?.(message);
  };
  process.on('message', (message: ToWorker, handle: unknown) => {
    if (message.type === 'connection') {
      if (handle instanceof net.Socket) worker?.adopt(handle);
    } else if (message.type === 'config' && worker === undefined) {
      process.title = workerTitle(message.config);
      worker = new Worker(message.config, report);
      void worker.start();
    } else if (message.type === 'stats-request') {
      void worker?.snapshot(message.stackOf).then((snapshot) => report({ type: 'stats', id: message.id, snapshot }));
    } else if (message.type === 'shutdown') {
      worker?.shutdown();
    }
  });
  // Ctrl-C reaches every process in the terminal's group: the supervisor
  // decides what it means, so a worker ignores SIGINT. A SIGTERM sent to a
  // worker alone (or to the whole group, as systemd does) drains it.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => worker?.shutdown());
  process.on('SIGHUP', () => undefined);
  process.on('disconnect', () => (worker ? worker.abandon() : process.exit(0)));
}
