// A reload under a little load loses nothing: while clients send requests on
// fresh and keep-alive connections, five SIGHUPs roll the workers, and every
// request is answered; no connection closes without its response.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Client, get, startServer } from '../support/server';
import { children, eventually, sleep } from '../support/processes';

interface Tally {
  ok: number;
  failed: string[];
  closedWithoutResponse: number;
}

/** Sends requests until `until()` says stop, each on a fresh connection or reusing one while the server keeps it open. */
async function clientLoop(port: number, keepAlive: boolean, until: () => boolean, tally: Tally): Promise<void> {
  let client: Client | undefined;
  while (!until()) {
    try {
      client ??= await Client.connect(port);
    } catch (err) {
      tally.failed.push(`connect: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      await sleep(50);
      continue;
    }
    client.write(get('/hello', keepAlive ? '' : 'Connection: close\r\n'));
    try {
      const r = await client.response({ timeoutMs: 10_000 });
      if (r.status === 200) tally.ok++;
      else tally.failed.push(`status ${r.status}`);
      if (!keepAlive || r.header('connection') === 'close') {
        client.close();
        client = undefined;
      }
    } catch (err) {
      if (/connection closed/.test((err as Error).message)) tally.closedWithoutResponse++;
      else tally.failed.push((err as Error).message.slice(0, 100));
      client?.close();
      client = undefined;
    }
    await sleep(5);
  }
  client?.close();
}

for (const processes of [2, 1]) {
  test(`-p ${processes}: five SIGHUPs under load: no failed request, no connection closed without a response`, async (t) => {
    const server = await startServer('behaviours:app', { args: ['-p', String(processes), '-t', '2'] });
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
