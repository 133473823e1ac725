// The supervisor's pure decisions: desired state + workers -> actions.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { plan, type Goal, type WorkerView, type WorkerPhase } from '../../src/supervisor/plan';

/** A tiny world that applies the plan's actions, to follow whole scenarios. */
class World {
  workers: Array<{ id: number; generation: number; phase: WorkerPhase; seq: number }> = [];
  goal: Goal = { processes: 2, generation: 0, stopping: false, canSpawn: true };
  private next = 1;

  step(): string[] {
    const out: string[] = [];
    for (const a of plan(this.goal, this.workers)) {
      if (a.kind === 'spawn') {
        const id = this.next++;
        this.workers.push({ id, generation: this.goal.generation, phase: 'starting', seq: id });
        out.push(`spawn ${id}`);
      } else {
        const w = this.find(a.id);
        w.phase = 'retiring';
        out.push(`retire ${a.id}`);
      }
    }
    return out;
  }

  find(id: number): WorkerView & { phase: WorkerPhase } {
    const w = this.workers.find((x) => x.id === id);
    assert.ok(w, `no worker ${id}`);
    return w;
  }

  serve(id: number): string[] {
    this.find(id).phase = 'serving';
    return this.step();
  }

  exit(id: number): string[] {
    this.workers = this.workers.filter((w) => w.id !== id);
    return this.step();
  }

  live(): number[] {
    return this.workers.filter((w) => w.phase !== 'retiring').map((w) => w.id);
  }
}

test('start-up forks P workers at once and nothing more while they start', () => {
  const w = new World();
  assert.deepEqual(w.step(), ['spawn 1', 'spawn 2']);
  assert.deepEqual(w.step(), []);
  assert.deepEqual(w.serve(1), []);
  assert.deepEqual(w.serve(2), []);
});

test('a rolling restart replaces one worker at a time, each after its successor serves', () => {
  const w = new World();
  w.step();
  w.serve(1);
  w.serve(2);
  w.goal = { ...w.goal, generation: 1 };
  assert.deepEqual(w.step(), ['spawn 3']);
  assert.deepEqual(w.step(), [], 'a second successor must wait for the first');
  assert.deepEqual(w.serve(3), ['retire 1', 'spawn 4']);
  assert.deepEqual(w.serve(4), ['retire 2']);
  assert.deepEqual(w.exit(1), []);
  assert.deepEqual(w.exit(2), []);
  assert.deepEqual(w.live(), [3, 4]);
});

test('a second reload during a roll converges on P workers of the newest generation', () => {
  const w = new World();
  w.step();
  w.serve(1);
  w.serve(2);
  w.goal = { ...w.goal, generation: 1 };
  w.step(); // spawn 3 (generation 1)
  w.goal = { ...w.goal, generation: 2 };
  assert.deepEqual(w.step(), ['retire 3', 'spawn 4'], 'a starting worker of a stale generation is retired');
  assert.deepEqual(w.serve(4), ['retire 1', 'spawn 5']);
  assert.deepEqual(w.serve(5), ['retire 2']);
  assert.deepEqual(w.live(), [4, 5]);
});

test('an old worker that dies during a roll is not replaced with its own generation', () => {
  const w = new World();
  w.step();
  w.serve(1);
  w.serve(2);
  w.goal = { ...w.goal, generation: 1 };
  w.step(); // spawn 3
  assert.deepEqual(w.exit(1), []);
  assert.deepEqual(w.serve(3), ['spawn 4']);
  assert.deepEqual(w.serve(4), ['retire 2']);
});

test('with P = 1 the successor serves before the old worker is retired', () => {
  const w = new World();
  w.goal = { ...w.goal, processes: 1 };
  w.step();
  w.serve(1);
  w.goal = { ...w.goal, generation: 1 };
  assert.deepEqual(w.step(), ['spawn 2']);
  assert.deepEqual(w.live(), [1, 2]);
  assert.deepEqual(w.serve(2), ['retire 1']);
});

test('TTIN adds a worker, TTOU retires the oldest', () => {
  const w = new World();
  w.step();
  w.serve(1);
  w.serve(2);
  w.goal = { ...w.goal, processes: 3 };
  assert.deepEqual(w.step(), ['spawn 3']);
  w.serve(3);
  w.goal = { ...w.goal, processes: 2 };
  assert.deepEqual(w.step(), ['retire 1']);
});

test('TTOU while a worker starts retires the starting one first', () => {
  const w = new World();
  w.step();
  w.serve(1);
  w.serve(2);
  w.goal = { ...w.goal, processes: 3 };
  w.step(); // spawn 3
  w.goal = { ...w.goal, processes: 2 };
  assert.deepEqual(w.step(), ['retire 3']);
});

test('a dead worker is replaced only when spawning is allowed (backoff)', () => {
  const w = new World();
  w.step();
  w.serve(1);
  w.serve(2);
  w.goal = { ...w.goal, canSpawn: false };
  assert.deepEqual(w.exit(1), []);
  w.goal = { ...w.goal, canSpawn: true };
  assert.deepEqual(w.step(), ['spawn 3']);
});

test('stopping retires every worker, including those still starting', () => {
  const w = new World();
  w.step();
  w.serve(1);
  w.goal = { ...w.goal, stopping: true };
  assert.deepEqual(w.step(), ['retire 1', 'retire 2']);
  assert.deepEqual(w.step(), []);
});

test('a failed reload that goes back to the old generation keeps the old workers and starts nothing', () => {
  const w = new World();
  w.step();
  w.serve(1);
  w.serve(2);
  w.goal = { ...w.goal, generation: 1 };
  w.step(); // spawn 3, which fails to load
  w.goal = { ...w.goal, generation: 0 };
  assert.deepEqual(w.exit(3), []);
  assert.deepEqual(w.live(), [1, 2]);
});
