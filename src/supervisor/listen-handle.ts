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
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as util from 'node:util';
import { showBind, type Bind } from '../net/bind-spec';
import type { ListenerInfo } from '../ipc/contract';

export type { Bind } from '../net/bind-spec';

/** The raw handle as the worker's `server.listen(handle)` takes it (a TCP or a Pipe handle). */
export interface RawHandle {
  /** TCP handles only: Node's Pipe handles have none. */
  getsockname?(out: { address?: string; port?: number; family?: string }): number;
  /** TCP handles only: TCP_NODELAY on the socket (0, or a negative errno). */
  setNoDelay?(on: boolean): number;
  close(): void;
}

export interface SharedListener {
  readonly bind: Bind;
  readonly handle: RawHandle;
  /** The port actually bound (the kernel's choice for port 0); 0 for a Unix socket. */
  readonly port: number;
  /** The address actually bound (TCP; what an inherited socket is bound to); '' for a Unix socket. */
  readonly address: string;
  /** What a worker needs to know about connections on it. */
  readonly info: ListenerInfo;
}

/** How Unix sockets we create are handed over: mode, owner and group (gunicorn chowns to the workers' user). */
export interface UnixSocketOptions {
  readonly mode: number | null;
  readonly uid: number | null;
  readonly gid: number | null;
}

export const NO_UNIX_OPTIONS: UnixSocketOptions = { mode: null, uid: null, gid: null };

type CreateServerHandle = (address: string | null, port: number | null, addressType: number | null, fd?: number, flags?: number) => unknown;

function isRawHandle(value: unknown): value is RawHandle {
  return typeof value === 'object' && value !== null && typeof (value as RawHandle).close === 'function';
}

/** A Pipe handle (Unix socket) rather than a TCP one. */
function isPipe(handle: RawHandle): boolean {
  return typeof handle.getsockname !== 'function';
}

/** Why shared handles cannot be used: the caller falls back to dealing. */
export class SharedUnavailable extends Error {}

/** The address cannot be bound (EADDRINUSE, EACCES...): the server cannot start. */
export class BindError extends Error {
  constructor(
    readonly bind: Bind,
    readonly code: string,
    detail?: string,
  ) {
    super(`cannot listen on ${showBind(bind)}: ${code}${detail === undefined ? '' : ` (${detail})`}`);
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
 * The path an inherited Unix socket is bound to, for SERVER_NAME and the
 * banner: Node cannot ask a pipe handle (no getsockname), so it is looked up
 * by the socket's inode in /proc/net/unix (Linux). '' when unknown (another
 * system, an unnamed or abstract socket).
 */
export function inheritedUnixPath(fd: number): string {
  try {
    const inode = String(fs.fstatSync(fd).ino);
    for (const line of fs.readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[6] === inode && fields[7] !== undefined && fields[7].startsWith('/')) return fields.slice(7).join(' ');
    }
  } catch {
    // not Linux, or not readable: unknown
  }
  return '';
}

/** How long a connect to an existing socket file may take to tell a live server from a stale file. */
const PROBE_MS = 1000;

/**
 * Before binding unix:PATH: a socket file that nobody answers on was left by
 * a server that died (a kill -9, a power cut): it is removed, as gunicorn
 * does. One a live server accepts on is refused (EADDRINUSE), and a file
 * that is not a socket is never touched.
 */
export async function clearStaleSocket(bind: Extract<Bind, { kind: 'unix' }>): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(bind.path);
  } catch {
    return; // nothing there
  }
  if (!stat.isSocket()) throw new BindError(bind, 'EEXIST', 'the path exists and is not a socket: remove it or choose another');
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path: bind.path });
    const timer = setTimeout(() => {
      probe.destroy();
      resolve(true); // a server that accepts slowly is still a server
    }, PROBE_MS);
    probe.once('connect', () => {
      clearTimeout(timer);
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // ECONNREFUSED: nobody listens. EAGAIN (a full backlog) means somebody does.
      resolve(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT');
    });
  });
  if (live) throw new BindError(bind, 'EADDRINUSE', 'a running server accepts on this socket');
  try {
    fs.unlinkSync(bind.path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new BindError(bind, (err as NodeJS.ErrnoException).code ?? 'error', 'cannot remove the stale socket file');
  }
}

/** chmod/chown a Unix socket we just bound, before any worker accepts on it. */
export function applyUnixOptions(bind: Extract<Bind, { kind: 'unix' }>, options: UnixSocketOptions): void {
  try {
    if (options.mode !== null) fs.chmodSync(bind.path, options.mode);
    if (options.uid !== null || options.gid !== null) fs.chownSync(bind.path, options.uid ?? -1, options.gid ?? -1);
  } catch (err) {
    throw new BindError(bind, (err as NodeJS.ErrnoException).code ?? 'error', 'cannot set the socket file\'s mode or owner');
  }
}

/** Removes the socket files of our Unix binds (when the server stops), if they are still sockets. */
export function removeSocketFiles(binds: readonly Bind[]): void {
  for (const b of binds) {
    if (b.kind !== 'unix') continue;
    try {
      if (fs.lstatSync(b.path).isSocket()) fs.unlinkSync(b.path);
    } catch {
      // already gone
    }
  }
}

/**
 * Binds every address (without listening: a worker listens once its app has
 * loaded); an fd:// bind takes over the inherited descriptor. Throws
 * BindError when an address cannot be bound, and SharedUnavailable when the
 * internal API is missing or misbehaves (the caller then falls back to the
 * public API). Handles bound before a failure are closed (and their socket
 * files removed).
 */
export async function openSharedListeners(binds: readonly Bind[], netModule: object = net, unix: UnixSocketOptions = NO_UNIX_OPTIONS): Promise<SharedListener[]> {
  const create = createServerHandleOf(netModule);
  if (create === undefined) throw new SharedUnavailable('net._createServerHandle is not available in this Node');
  const opened: SharedListener[] = [];
  try {
    for (const bind of binds) opened.push(await openOne(create, bind, unix));
    return opened;
  } catch (err) {
    for (const l of opened) l.handle.close();
    removeSocketFiles(opened.map((l) => l.bind));
    if (err instanceof SharedUnavailable || err instanceof BindError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    // A name that does not resolve is the address's fault, not the API's.
    if (code !== undefined && binds[opened.length] !== undefined) throw new BindError(binds[opened.length] as Bind, code);
    throw new SharedUnavailable((err as Error).message);
  }
}

async function openOne(create: CreateServerHandle, bind: Bind, unix: UnixSocketOptions): Promise<SharedListener> {
  if (bind.kind === 'unix') {
    await clearStaleSocket(bind);
    const handle = create(bind.path, -1, -1);
    // libuv reports a missing directory as EACCES; load.ts checked the directory, so this is a race or a real EACCES.
    if (typeof handle === 'number') throw new BindError(bind, errorName(handle));
    if (!isRawHandle(handle)) throw new SharedUnavailable('net._createServerHandle returned no handle');
    try {
      applyUnixOptions(bind, unix);
    } catch (err) {
      handle.close();
      removeSocketFiles([bind]);
      throw err;
    }
    return { bind, handle, port: 0, address: '', info: { kind: 'unix', path: bind.path } };
  }
  let handle: unknown;
  if (bind.kind === 'fd') {
    handle = create(null, null, null, bind.fd);
  } else {
    const { address, family } = await resolveHost(bind.host);
    handle = create(address, bind.port, family);
  }
  if (typeof handle === 'number') throw new BindError(bind, errorName(handle));
  if (!isRawHandle(handle)) throw new SharedUnavailable('net._createServerHandle returned no handle');
  // An inherited Unix socket: its path from /proc/net/unix (SERVER_NAME falls back to localhost without one).
  if (isPipe(handle)) {
    if (bind.kind !== 'fd') throw new SharedUnavailable('net._createServerHandle gave a pipe for a TCP address');
    return { bind, handle, port: 0, address: '', info: { kind: 'unix', path: inheritedUnixPath(bind.fd) } };
  }
  const out: { port?: number; address?: string } = {};
  // libuv defers a failed bind's error (EADDRINUSE) to the next call on
  // the handle: getsockname returns it, so the supervisor still reports
  // it before any worker listens.
  const err = handle.getsockname?.(out) ?? 0;
  if (err !== 0 || typeof out.port !== 'number') {
    handle.close();
    if (err !== 0) throw new BindError(bind, errorName(err));
    throw new SharedUnavailable(`getsockname gave no port for ${showBind(bind)}`);
  }
  return { bind, handle, port: out.port, address: out.address ?? '', info: { kind: 'tcp', noDelay: setListenerNoDelay(handle) } };
}

/**
 * TCP_NODELAY on the listening socket: on Linux every socket accepted on it
 * inherits the option (the kernel clones the listener's socket), so workers
 * need no setsockopt(2) per connection (bench/results/profile.md, "Issue 13,
 * session 4"). Elsewhere, or if it fails, the worker sets it on each socket.
 */
function setListenerNoDelay(handle: RawHandle): boolean {
  return process.platform === 'linux' && typeof handle.setNoDelay === 'function' && handle.setNoDelay(true) === 0;
}
