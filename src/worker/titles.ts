// Process titles, so `ps` tells the processes apart:
// `yimmo-wsgi: supervisor|worker N|host N [app]` (N: the worker's cluster id,
// which grows as workers are replaced; a worker's host shares its N).
import cluster from 'node:cluster';
import type { WorkerConfig } from '../ipc/contract';

export function workerTitle(config: WorkerConfig): string {
  return `yimmo-wsgi: worker ${cluster.worker?.id ?? 0} [${config.app}]`;
}

/** The host's title, when its interpreter can take one (WorkerConfig.hostTitles). */
export function hostTitle(config: WorkerConfig): { title?: string } {
  return config.hostTitles ? { title: `yimmo-wsgi: host ${cluster.worker?.id ?? 0} [${config.app}]` } : {};
}
