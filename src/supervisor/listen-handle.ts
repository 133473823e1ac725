// Listening sockets that outlive any worker. The supervisor binds each
// address once and sends the bound handle to every worker over IPC; each
// worker listens and accepts on its copy, so no connection crosses the
// supervisor, and connections that arrive while no worker is alive wait in
// the kernel's backlog for the next one (gunicorn's arbiter keeps its
// sockets the same way).
//
// Node has no public API for a bound-but-unlisted handle that can be sent to
// another process: `net._createServerHandle` (what net.Server uses inside,
// exported for the cluster module) is the only way. It is used here and
// nowhere else, behind a capability check; when it is missing or fails, the
// caller falls back to accepting in the supervisor and dealing connections
// (src/supervisor/dealer.ts).
import * as dns from 'node:dns';
import * as net from 'node:net';
import * as util from 'node:util';

/** One address to listen on. A list, so that unix:PATH and fd://N can join TCP. */
export type Bind = { readonly kind: 'tcp'; readonly host: string; readonly port: number };

/** The raw handle as the worker's `server.listen(handle)` takes it. */
export interface RawHandle {
  getsockname(out: { address?: string; port?: number; family?: string }): number;
  close(): void;
}

export interface SharedListener {
  readonly bind: Bind;
  readonly handle: RawHandle;
  /** The port actually bound (the kernel's choice for port 0). */
  readonly port: number;
}

type CreateServerHandle = (address: string, port: number, addressType: number, fd?: number, flags?: number) => unknown;

function isRawHandle(value: unknown): value is RawHandle {
  return typeof value === 'object' && value !== null && typeof (value as RawHandle).getsockname === 'function' && typeof (value as RawHandle).close === 'function';
}

/** Why shared handles cannot be used: the caller falls back to dealing. */
export class SharedUnavailable extends Error {}

/** The address cannot be bound (EADDRINUSE, EACCES...): the server cannot start. */
export class BindError extends Error {
  constructor(
    readonly bind: Bind,
    readonly code: string,
  ) {
    super(`cannot listen on ${bind.host}:${bind.port}: ${code}`);
  }
}

/** The internal function, if this Node has it (`netModule` replaceable for tests). */
export function createServerHandleOf(netModule: object = net): CreateServerHandle | undefined {
  const fn = (netModule as { _createServerHandle?: unknown })._createServerHandle;
  return typeof fn === 'function' ? (fn as CreateServerHandle) : undefined;
}

function errorName(errno: number): string {
  try {
    return util.getSystemErrorName(errno);
  } catch {
    return `error ${errno}`;
  }
}

async function resolveHost(host: string): Promise<{ address: string; family: 4 | 6 }> {
  const family = net.isIP(host);
  if (family === 4 || family === 6) return { address: host, family };
  // A name: resolved once, as net.Server.listen would (first address).
  const found = await dns.promises.lookup(host);
  return { address: found.address, family: found.family === 6 ? 6 : 4 };
}

/**
 * Binds every address (without listening: a worker listens once its app has
 * loaded). Throws BindError when an address cannot be bound, and
 * SharedUnavailable when the internal API is missing or misbehaves (the
 * caller then falls back to the public API). Handles bound before a failure
 * are closed.
 */
export async function openSharedListeners(binds: readonly Bind[], netModule: object = net): Promise<SharedListener[]> {
  const create = createServerHandleOf(netModule);
  if (create === undefined) throw new SharedUnavailable('net._createServerHandle is not available in this Node');
  const opened: SharedListener[] = [];
  try {
    for (const bind of binds) {
      const { address, family } = await resolveHost(bind.host);
      const handle = create(address, bind.port, family);
      if (typeof handle === 'number') throw new BindError(bind, errorName(handle));
      if (!isRawHandle(handle)) throw new SharedUnavailable('net._createServerHandle returned no handle');
      const out: { port?: number } = {};
      // libuv defers a failed bind's error (EADDRINUSE) to the next call on
      // the handle: getsockname returns it, so the supervisor still reports
      // it before any worker listens.
      const err = handle.getsockname(out);
      if (err !== 0 || typeof out.port !== 'number') {
        handle.close();
        if (err !== 0) throw new BindError(bind, errorName(err));
        throw new SharedUnavailable(`getsockname gave no port for ${bind.host}:${bind.port}`);
      }
      opened.push({ bind, handle, port: out.port });
    }
    return opened;
  } catch (err) {
    for (const l of opened) l.handle.close();
    if (err instanceof SharedUnavailable || err instanceof BindError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    // A name that does not resolve is the address's fault, not the API's.
    if (code !== undefined && binds[opened.length] !== undefined) throw new BindError(binds[opened.length] as Bind, code);
    throw new SharedUnavailable((err as Error).message);
  }
}
