// The signals the supervisor answers (gunicorn's table, issue 10), queued and
// handled one at a time by the supervisor's loop. Installing a handler for
// every one of them also means that no signal keeps its default action:
// SIGUSR1 would open the inspector on 127.0.0.1:9229, SIGTTIN/SIGTTOU would
// stop (suspend) the process, SIGQUIT would dump core, SIGUSR2 would kill it.

import type { SupervisorSignal } from '../ipc/contract';

/** Signal -> what the supervisor does (README's table says the same). */
export const SIGNAL_ACTIONS: { readonly [S in SupervisorSignal]: string } = {
  SIGTERM: 'graceful stop',
  SIGINT: 'graceful stop; a second stop signal stops at once',
  SIGQUIT: 'graceful stop; a second stop signal stops at once',
  SIGHUP: 'reload: read the configuration again, then replace the workers one at a time',
  SIGUSR1: 'reopen log files',
  SIGUSR2: 'ignored (logged)',
  SIGTTIN: 'one worker more',
  SIGTTOU: 'one worker less (never below 1)',
  SIGWINCH: 'ignored',
};

/** gunicorn keeps at most 5 pending signals; more of them carry no more meaning. */
const MAX_QUEUED = 5;

/**
 * Installs the handlers; each signal is queued and `handle` is called for one
 * at a time, from a fresh tick (never inside another handler).
 */
export function queueSignals(handle: (signal: SupervisorSignal) => void): void {
  const queue: SupervisorSignal[] = [];
  let scheduled = false;
  const drain = (): void => {
    scheduled = false;
    const signal = queue.shift();
    if (signal === undefined) return;
    handle(signal);
    if (queue.length > 0) schedule();
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(drain);
  };
  for (const signal of Object.keys(SIGNAL_ACTIONS) as SupervisorSignal[]) {
    process.on(signal, () => {
      if (queue.length < MAX_QUEUED) queue.push(signal);
      schedule();
    });
  }
}
