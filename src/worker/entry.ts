// Worker process entry: wait for the configuration from the supervisor, run,
// and do what the supervisor says over IPC (src/ipc/contract.ts).
import * as net from 'node:net';
import { Worker } from './worker';
import { workerTitle } from './titles';
import { reopenLogFiles } from '../log/logger';
import { SUPERVISOR_SIGNALS, type FromWorker, type ToWorker } from '../ipc/contract';

export function runWorkerProcess(): void {
  let worker: Worker | undefined;
  let stopped = false;
  const report = (message: FromWorker): void => {
    if (!process.connected) return;
    // A send that fails because the supervisor is gone is handled by 'disconnect'.
    process.send?.(message, undefined, {}, () => undefined);
  };
  const shutdown = (mode: 'stop' | 'retire'): void => {
    // Told to stop before the configuration arrived: nothing to finish.
    if (worker === undefined) {
      stopped = true;
      return process.exit(0);
    }
    worker.shutdown(mode);
  };
  process.on('message', (message: ToWorker, handle: unknown) => {
    switch (message.type) {
      case 'config':
        if (worker !== undefined || stopped) return;
        process.title = workerTitle(message.config, message.worker);
        worker = new Worker(message.config, report, message.worker);
        void worker.start();
        return;
      case 'listen':
        if (worker === undefined) return void (handle as { close?: () => void } | undefined)?.close?.();
        return worker.listenOn(message.bind, message.of, message.balance, message.listener, handle, message.drain);
      case 'dealt':
        return worker?.takeDealt(message.listeners);
      case 'connection':
        if (handle instanceof net.Socket && worker !== undefined) {
          worker.adopt(handle, message.bind);
          report({ type: 'adopted' });
        }
        return;
      case 'balance':
        return worker?.setBalance(message.balance);
      case 'shutdown':
        return shutdown(message.mode);
      case 'reopen-logs':
        return reopenLogFiles();
      case 'reload-hosts':
        return worker?.reloadHosts(message.round, message.config);
      case 'stats-request':
        void worker?.snapshot(message.stackOf).then((snapshot) => report({ type: 'stats', id: message.id, snapshot }));
        return;
    }
  });
  // The supervisor's signals also reach us when sent to the process group (a
  // Ctrl-C, `kill -HUP -PGID`): the supervisor decides what they mean and
  // tells us over IPC. Handling them also keeps their default actions away
  // (SIGUSR1 would open an inspector, SIGTTIN/SIGTTOU would stop us).
  for (const signal of SUPERVISOR_SIGNALS) if (signal !== 'SIGTERM') process.on(signal, () => undefined);
  // A SIGTERM sent to a worker alone (or to the whole group, as systemd does) drains it.
  process.on('SIGTERM', () => shutdown('stop'));
  process.on('disconnect', () => (worker ? worker.abandon() : process.exit(0)));
}
