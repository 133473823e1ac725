// Asks the workers for their snapshots over IPC ({type:'stats-request'} ->
// {type:'stats'}) and gathers the answers. Plain IPC messages, not the
// cluster module's, so it works with any forked child that has a channel.
import type { ToWorker } from '../ipc/contract';
import type { WorkerSnapshot } from '../ipc/snapshot';

/** How long a scrape waits for a worker: a worker blocked that long is shown with its last snapshot. */
const ANSWER_MS = 1000;

export interface SnapshotTarget {
  readonly pid: number;
  send(message: ToWorker): void;
}

export class SnapshotRequests {
  private readonly pending = new Map<number, (snapshot: WorkerSnapshot) => void>();
  private next = 1;

  /** The snapshots of the workers that answered within ANSWER_MS; `stack` asks one worker for a request's Python stack. */
  ask(targets: readonly SnapshotTarget[], stack?: { readonly pid: number; readonly id: number }): Promise<WorkerSnapshot[]> {
    return Promise.all(
      targets.map(
        (target) =>
          new Promise<WorkerSnapshot | undefined>((resolve) => {
            const id = this.next++;
            const timer = setTimeout(() => {
              this.pending.delete(id);
              resolve(undefined);
            }, ANSWER_MS);
            this.pending.set(id, (snapshot) => {
              clearTimeout(timer);
              this.pending.delete(id);
              resolve(snapshot);
            });
            const stackOf = stack !== undefined && stack.pid === target.pid ? stack.id : undefined;
            target.send(stackOf === undefined ? { type: 'stats-request', id } : { type: 'stats-request', id, stackOf });
          }),
      ),
    ).then((all) => all.filter((s): s is WorkerSnapshot => s !== undefined));
  }

  /** A worker's {type:'stats'} message. */
  answer(id: number, snapshot: WorkerSnapshot): void {
    this.pending.get(id)?.(snapshot);
  }
}
