// A reload under a little load loses nothing: while clients send requests on
// fresh and keep-alive connections, five SIGHUPs (each with a new worker
// setting) roll the workers, and every request is answered; no connection
// closes without its response. Code-only reloads: test/server/host-swap.test.ts.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { startServer } from '../support/server';
import { clientLoop, type Tally } from '../support/client-loop';
import { children, eventually, sleep } from '../support/processes';
import { rollingConfig } from '../support/rolling-config';

for (const processes of [2, 1]) {
  test(`-p ${processes}: five SIGHUPs under load: no failed request, no connection closed without a response`, async (t) => {
    const roll = rollingConfig();
    const server = await startServer('behaviours:app', { args: [...roll.args, '-p', String(processes), '-t', '2'] });
    try {
      const supervisor = server.child.pid as number;
      const original = new Set(children(supervisor));
      let done = false;
      const deadline = Date.now() + 60_000;
      const until = (): boolean => done || Date.now() > deadline;
      const tally: Tally = { ok: 0, failed: [], closedWithoutResponse: 0 };
      const loops = [false, false, true, true].map((keepAlive) => clientLoop(server.port, keepAlive, until, tally));
      await sleep(300);
      for (let i = 0; i < 5; i++) {
        roll.bump();
        process.kill(supervisor, 'SIGHUP');
        await sleep(i % 2 === 0 ? 1500 : 300); // some reloads overlap a roll in progress
      }
      await eventually(async () => {
        const now = children(supervisor);
        assert.equal(now.length, processes, `workers ${now}`);
        assert.ok(now.every((pid) => !original.has(pid)));
        assert.match(server.output(), /SIGHUP/);
      }, 30_000);
      await sleep(1000);
      done = true;
      await Promise.all(loops);
      t.diagnostic(`${tally.ok} requests answered, ${tally.failed.length} failed, ${tally.closedWithoutResponse} closed without a response`);
      assert.ok(tally.ok > 50, `only ${tally.ok} requests answered`);
      assert.deepEqual(tally.failed, []);
      assert.equal(tally.closedWithoutResponse, 0, `${tally.closedWithoutResponse} connections closed without a response (${tally.ok} answered)`);
      assert.equal(children(supervisor).length, processes);
    } finally {
      await server.stop();
    }
  });
}
