// Process titles, so `ps` tells the processes apart:
// `yimmo-wsgi: supervisor|worker N|host N [app]` (N: the supervisor's number
// for the worker, which grows as workers are replaced; a worker's host shares its N).
import type { WorkerConfig } from '../ipc/contract';

export function workerTitle(config: WorkerConfig, worker: number): string {
  return `yimmo-wsgi: worker ${worker} [${config.app}]`;
}

/** The host's title, when its interpreter can take one (WorkerConfig.hostTitles). */
export function hostTitle(config: WorkerConfig, worker: number): { title?: string } {
  return config.hostTitles ? { title: `yimmo-wsgi: host ${worker} [${config.app}]` } : {};
}
