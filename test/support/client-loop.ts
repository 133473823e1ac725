// Load for the reload and recycle tests: a client that sends requests until
// told to stop, on a fresh connection each time or on one kept alive while
// the server keeps it open, and tallies what happened to each.
import { Client, get } from './server';
import { sleep } from './processes';

export interface Tally {
  ok: number;
  failed: string[];
  closedWithoutResponse: number;
  /** Keep-alive connections the server ended after a response (Connection: close). */
  closedAfterResponse?: number;
}

/** Sends requests until `until()` says stop, each on a fresh connection or reusing one while the server keeps it open. */
export async function clientLoop(port: number, keepAlive: boolean, until: () => boolean, tally: Tally): Promise<void> {
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
      if (keepAlive && r.header('connection') === 'close') tally.closedAfterResponse = (tally.closedAfterResponse ?? 0) + 1;
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
