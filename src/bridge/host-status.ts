// Asks a host what its threads are doing: the STATUS / STATUS_REPLY pair on
// stream 0 (docs/protocol.md "Status"). Used for the metrics and the status
// page only, never on a request's path.
import type { Host } from './host';
import { FrameType, ProtocolError, decodeStatusReply, encodeFrame, encodeStatusQuery, type HostStatusReport } from './protocol';
import { log } from '../log/logger';

type Waiter = (report: HostStatusReport | undefined) => void;

class StatusClient {
  private readonly pending = new Map<number, Waiter>();
  private next = 1;

  constructor(private readonly host: Host) {
    host.onConnectionFrame = (frame) => {
      if (frame.type !== FrameType.STATUS_REPLY) return;
      try {
        const { query, report } = decodeStatusReply(frame.payload);
        this.settle(query, report);
      } catch (err) {
        log.warning(`python host ${host.info.pid} sent a bad STATUS_REPLY: ${(err as ProtocolError).message}`);
      }
    };
    host.onExit(() => {
      for (const id of [...this.pending.keys()]) this.settle(id, undefined);
    });
  }

  /** The host's report, or undefined if it did not answer within `timeoutMs` (busy GIL, dying host). */
  query(stackOf: number, timeoutMs: number): Promise<HostStatusReport | undefined> {
    if (!this.host.isAlive) return Promise.resolve(undefined);
    const id = this.next;
    this.next = id >= 0xffffffff ? 1 : id + 1;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, undefined), timeoutMs);
      this.pending.set(id, (report) => {
        clearTimeout(timer);
        resolve(report);
      });
      this.host.send(encodeFrame(FrameType.STATUS, 0, encodeStatusQuery(id, stackOf)));
    });
  }

  private settle(id: number, report: HostStatusReport | undefined): void {
    const waiter = this.pending.get(id);
    if (waiter === undefined) return;
    this.pending.delete(id);
    waiter(report);
  }
}

const clients = new WeakMap<Host, StatusClient>();

/** Asks `host` for its status; `stackOf` is a stream whose thread's Python stack to include (0: none). */
export function queryHostStatus(host: Host, stackOf: number, timeoutMs: number): Promise<HostStatusReport | undefined> {
  let client = clients.get(host);
  if (client === undefined) {
    client = new StatusClient(host);
    clients.set(host, client);
  }
  return client.query(stackOf, timeoutMs);
}
