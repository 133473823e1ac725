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
 * The supervisor's signals, queued and handed to it one at a time, from a
 * fresh tick (never inside another handler). `install()` runs first thing,
 * before the supervisor exists: a signal that arrives while the
 * configuration is resolved or the Python version probed waits here instead
 * of taking its default action (SIGTERM would kill the process without
 * stopping anything; a service manager's stop during start-up is common).
 */
export class SignalQueue {
  private readonly queue: SupervisorSignal[] = [];
  private handle: ((signal: SupervisorSignal) => void) | undefined;
  private scheduled = false;

  install(): this {
    for (const signal of Object.keys(SIGNAL_ACTIONS) as SupervisorSignal[]) {
      process.on(signal, () => {
        if (this.queue.length < MAX_QUEUED) this.queue.push(signal);
        this.schedule();
      });
    }
    return this;
  }

  /** From now on (and for the signals already queued) `handle` gets them. */
  deliverTo(handle: (signal: SupervisorSignal) => void): void {
    this.handle = handle;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.handle === undefined || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(this.drain);
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const signal = this.queue.shift();
    if (signal !== undefined) this.handle?.(signal);
    this.schedule();
  };
}
