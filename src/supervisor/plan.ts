// The supervisor's decisions, as a pure function: given the desired state
// (P workers of the current generation, or none when stopping) and the
// workers that exist, which to start and which to retire. The supervisor
// calls it after every event (signal, worker loaded/serving/exited, timer)
// and carries out the actions, like gunicorn's arbiter loop; keeping it pure
// makes every case (rolling restarts, reloads in quick succession, TTIN/TTOU,
// crashes during a roll) a unit test.

/** `starting`: forked, loading its app or not yet accepting. `serving`: takes connections. */
export type WorkerPhase = 'starting' | 'serving' | 'retiring';

export interface WorkerView {
  readonly id: number;
  readonly generation: number;
  readonly phase: WorkerPhase;
  /** Monotonic order of forking: lower is older. */
  readonly seq: number;
}

export interface Goal {
  readonly processes: number;
  /** Bumped by every reload: workers of older generations are replaced. */
  readonly generation: number;
  readonly stopping: boolean;
  /** False while the restart backoff runs: no worker may be started. */
  readonly canSpawn: boolean;
}

export type Action = { readonly kind: 'spawn' } | { readonly kind: 'retire'; readonly id: number };

export function plan(goal: Goal, workers: readonly WorkerView[]): Action[] {
  const live = workers.filter((w) => w.phase !== 'retiring');
  if (goal.stopping) return live.map((w) => ({ kind: 'retire', id: w.id }));
  const actions: Action[] = [];
  const retired = new Set<number>();
  const retire = (w: WorkerView): void => {
    if (retired.has(w.id)) return;
    retired.add(w.id);
    actions.push({ kind: 'retire', id: w.id });
  };
  const current = (w: WorkerView): boolean => w.generation === goal.generation;

  // A worker of an older generation that is not serving yet will never be needed.
  for (const w of live) if (!current(w) && w.phase === 'starting') retire(w);

  // More serving workers than wanted (a successor is up, or TTOU): retire the
  // extras, older generations first, then the oldest.
  const serving = live.filter((w) => w.phase === 'serving').sort((a, b) => Number(current(a)) - Number(current(b)) || a.seq - b.seq);
  for (const w of serving.slice(0, Math.max(0, serving.length - goal.processes))) retire(w);

  // More workers of this generation than wanted (TTOU while some start):
  // those not serving yet go first (newest first), then the oldest.
  const mine = live.filter((w) => current(w) && !retired.has(w.id));
  if (mine.length > goal.processes) {
    const order = [...mine].sort((a, b) => (a.phase === b.phase ? (a.phase === 'starting' ? b.seq - a.seq : a.seq - b.seq) : a.phase === 'starting' ? -1 : 1));
    for (const w of order.slice(0, mine.length - goal.processes)) retire(w);
  }

  const kept = mine.filter((w) => !retired.has(w.id));
  if (kept.length < goal.processes && goal.canSpawn) {
    const olderServing = serving.some((w) => !current(w) && !retired.has(w.id));
    if (olderServing) {
      // A rolling restart: one successor at a time, and only while none is
      // starting, so the old workers keep serving until each successor does.
      if (!kept.some((w) => w.phase === 'starting')) actions.push({ kind: 'spawn' });
    } else {
      for (let i = kept.length; i < goal.processes; i++) actions.push({ kind: 'spawn' });
    }
  }
  return actions;
}
