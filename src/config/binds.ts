// Which addresses the server listens on, from the configuration and the
// sockets it inherited (systemd socket activation, src/net/socket-activation.ts):
//  - --bind given: exactly those; fd://NAME picks an inherited socket by name.
//  - else, with inherited sockets and neither --host nor --port set: those.
//  - else: every --host on --port (the original's shorthand).
// An fd:// bind must be an open socket now: a wrong number is a config error
// (exit 2) before any app loads, not a worker that cannot listen.
import { fstatSync } from 'node:fs';
import { showBind, type Bind } from '../net/bind-spec';
import { ConfigError, type Config } from './load';

export interface ResolvedBinds {
  readonly binds: readonly Bind[];
  /** Worth a log line: inherited sockets left unused. */
  readonly warnings: readonly string[];
}

export function resolveBinds(config: Config, inherited: readonly Bind[]): ResolvedBinds {
  const warnings: string[] = [];
  let binds: Bind[];
  if (config.bind.length > 0) {
    binds = config.bind.map((b): Bind => {
      if (b.kind !== 'fdname') return b;
      const found = inherited.find((i) => i.kind === 'fd' && i.name === b.name);
      if (found !== undefined) return found;
      const names = inherited.flatMap((i) => (i.kind === 'fd' && i.name !== '' ? [i.name] : []));
      throw new ConfigError(
        'YW_CONFIG_INVALID',
        `invalid --bind '${showBind(b)}' (from ${config.sources.bind}): no inherited socket is named '${b.name}' ` +
          (inherited.length === 0 ? '(no sockets were passed by systemd: LISTEN_FDS/LISTEN_PID are not set for this process)' : `(LISTEN_FDNAMES has: ${names.join(', ') || 'no names'})`),
      );
    });
    const used = new Set(binds.flatMap((b) => (b.kind === 'fd' ? [b.fd] : [])));
    const unused = inherited.filter((i) => i.kind === 'fd' && !used.has(i.fd));
    if (unused.length > 0) warnings.push(`inherited sockets not served (--bind does not name them): ${unused.map((b) => showBind(b)).join(', ')}`);
  } else if (inherited.length > 0 && config.sources.host === 'default' && config.sources.port === 'default') {
    binds = [...inherited];
  } else {
    if (inherited.length > 0) warnings.push(`systemd passed ${inherited.length} socket(s), not served: --host/--port were set (use --bind fd://N to serve them)`);
    binds = config.host.map((host) => ({ kind: 'tcp', host, port: config.port }));
  }
  for (const b of binds) if (b.kind === 'fd') checkInherited(b, config.sources.bind);
  const seen = new Set<string>();
  for (const b of binds) {
    const shown = showBind(b);
    if (seen.has(shown)) throw new ConfigError('YW_CONFIG_INVALID', `invalid --bind: ${shown} is given twice`);
    seen.add(shown);
  }
  return { binds, warnings };
}

function checkInherited(b: Extract<Bind, { kind: 'fd' }>, source: string): void {
  let isSocket: boolean;
  try {
    isSocket = fstatSync(b.fd).isSocket();
  } catch (err) {
    throw new ConfigError('YW_CONFIG_INVALID', `invalid --bind '${showBind(b)}' (from ${source}): descriptor ${b.fd} is not open (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!isSocket) throw new ConfigError('YW_CONFIG_INVALID', `invalid --bind '${showBind(b)}' (from ${source}): descriptor ${b.fd} is not a socket`);
}
