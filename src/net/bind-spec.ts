// The addresses a server listens on (--bind), as data, and their text forms:
// HOST:PORT, [IPV6]:PORT, unix:PATH (or unix://PATH) and fd://N (a socket
// inherited from whoever started us, e.g. systemd; fd://NAME picks one of
// systemd's by its LISTEN_FDNAMES name). Pure: no file system, no sockets.
import { isIP } from 'node:net';

export type Bind =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string }
  /** An inherited listening socket: `fd` the descriptor; `name` its systemd name ('' if none). */
  | { readonly kind: 'fd'; readonly fd: number; readonly name: string };

/** A bind as written, before fd://NAME is looked up among the inherited sockets. */
export type BindText = Bind | { readonly kind: 'fdname'; readonly name: string };

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
/** systemd's FileDescriptorName=: up to 255 printable ASCII characters, no colon. */
const FD_NAME = /^[\x21-\x39\x3b-\x7e]{1,255}$/;
/** sun_path holds 108 bytes on Linux, one of them the terminating NUL. */
export const UNIX_PATH_MAX = 107;

/** Parses one bind; the reason completes "must be ..." when it is malformed. */
export function parseBind(text: string): { readonly bind: BindText } | { readonly error: string } {
  const t = text.trim();
  if (t.startsWith('unix:')) {
    const path = t.startsWith('unix://') ? t.slice(7) : t.slice(5);
    if (path === '') return { error: 'unix:PATH with a path' };
    if (path.includes('\0')) return { error: 'unix:PATH with a path without NUL bytes' };
    if (Buffer.byteLength(path) > UNIX_PATH_MAX) return { error: `unix:PATH with a path of at most ${UNIX_PATH_MAX} bytes (the kernel's limit)` };
    return { bind: { kind: 'unix', path } };
  }
  if (t.startsWith('fd://')) {
    const rest = t.slice(5);
    if (/^\d{1,9}$/.test(rest)) {
      const fd = Number(rest);
      // 0-2 are stdin, stdout and stderr: never a listening socket of ours.
      return fd >= 3 ? { bind: { kind: 'fd', fd, name: '' } } : { error: 'fd://N with N a descriptor of 3 or more' };
    }
    return FD_NAME.test(rest) ? { bind: { kind: 'fdname', name: rest } } : { error: 'fd://N (a descriptor number) or fd://NAME (a systemd socket name)' };
  }
  const bare = t.startsWith('tcp://') ? t.slice(6) : t;
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(bare);
  if (match === null) return { error: 'HOST:PORT, [IPV6]:PORT, unix:PATH or fd://N' };
  const port = Number(match[3]);
  if (match[3]!.length > 5 || port > 65535) return { error: 'HOST:PORT with a port from 0 to 65535' };
  if (match[1] !== undefined) return isIP(match[1]) === 6 ? { bind: { kind: 'tcp', host: match[1], port } } : { error: '[IPV6]:PORT with an IPv6 address in the brackets' };
  const host = match[2] ?? '';
  if (host === '') return { error: 'HOST:PORT with a host (0.0.0.0 for every IPv4 interface)' };
  return isIP(host) === 4 || HOST_NAME.test(host) ? { bind: { kind: 'tcp', host, port } } : { error: 'HOST:PORT with an IP address or a host name' };
}

/** The bind as a person reads it (banner, errors): 127.0.0.1:8000, [::1]:8000, unix:/run/app.sock, fd://3 (name). */
export function showBind(bind: BindText, port?: number): string {
  switch (bind.kind) {
    case 'tcp':
      return `${bind.host.includes(':') ? `[${bind.host}]` : bind.host}:${port ?? bind.port}`;
    case 'unix':
      return `unix:${bind.path}`;
    case 'fd':
      return `fd://${bind.fd}${bind.name === '' ? '' : ` (${bind.name})`}`;
    case 'fdname':
      return `fd://${bind.name}`;
  }
}
