// Every setting of yimmo-wsgi, once, as data. Argument parsing (src/cli/argv.ts),
// `--help` (src/cli/help.ts), docs/settings.md (src/docs/settings-doc.ts) and
// the loader (src/config/load.ts) are all generated from this table, so a
// setting cannot exist in one place and be missing in another (ARCHITECTURE.md,
// convention 1).
//
// Naming rules, so each new setting follows the same scheme:
//  - key: camelCase; times end in `Ms` (the table holds seconds, Config holds
//    milliseconds), byte counts end in `Bytes` unless kept from ParserLimits.
//  - flag: `--kebab-case`; env: `YIMMO_WSGI_` + the flag in UPPER_SNAKE;
//    YAML: `wsgi.` + the flag in snake_case (limits are flat: `wsgi.max_body_size`).
//  - The original's names win where they exist: YIMMO_LOG_LEVEL / `log_level`,
//    YIMMO_SERVER_IDLE_TIMEOUT, YIMMO_TLS_CERT_PATH / `wsgi.tls.cert`, ...

import { ACCESS_ATOMS, DEFAULT_ACCESS_FORMAT } from '../log/access-log';
import type { LogLevel } from '../log/logger';

interface Common {
  /** camelCase name of the field in Config. */
  readonly key: string;
  /** Long command-line flag without the dashes; absent: no flag. */
  readonly flag?: string;
  /** One-letter short flag without the dash. */
  readonly short?: string;
  readonly env?: string;
  /** Dotted path in the YAML config file; absent: not settable there. */
  readonly yaml?: string;
  /** One line, for --help and the docs table. */
  readonly doc: string;
  /** Extra sentences for the setting's section in docs/settings.md. */
  readonly details?: string;
  /** Placeholder for the value in --help, e.g. PORT. */
  readonly meta: string;
}

export interface IntSetting extends Common {
  readonly type: 'int';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** What 0 means when min is 0 and 0 is special. */
  readonly zero?: string;
}

/** Seconds (fractions allowed) in the sources; milliseconds in Config. */
export interface SecondsSetting extends Common {
  readonly type: 'seconds';
  readonly default: number;
  readonly max: number;
  /** true: 0 is allowed and means `zero`; false: the value must be above 0. */
  readonly zeroAllowed: boolean;
  readonly zero?: string;
}

/** Bytes; text may carry a binary suffix K, M, G or T (512K, 10M, 1G). */
export interface SizeSetting extends Common {
  readonly type: 'size';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly zero?: string;
}

export interface BoolSetting extends Common {
  readonly type: 'bool';
  readonly default: boolean;
}

export interface LevelSetting extends Common {
  readonly type: 'level';
  readonly default: LogLevel;
}

/** Checks applied to string and path settings once their value is chosen. */
export type Check = 'host' | 'module' | 'expression' | 'executable' | 'tls-file' | 'config-file' | 'log-format'
  | 'error-log' | 'access-log' | 'access-log-format' | 'address-list' | 'root-path'
  | 'directory' | 'path-list' | 'file-list' | 'user' | 'group' | 'umask' | 'pid-file' | 'env-list' | 'host-port' | 'bind' | 'file-mode';

export interface StringSetting extends Common {
  readonly type: 'string' | 'path';
  /** null: no default (the setting is optional, or required and checked by load.ts). */
  readonly default: string | null;
  /** How the default reads in help and docs when it is not a literal. */
  readonly defaultText?: string;
  /** Value shown in the YAML example when there is no default. */
  readonly example?: string;
  readonly check: Check;
  /** The flag may be given more than once: each occurrence adds a value (a line of the text). */
  readonly repeatable?: boolean;
}

export type Setting = IntSetting | SecondsSetting | SizeSetting | BoolSetting | LevelSetting | StringSetting;

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
/** Longest timeout: one day (well below Node's 2^31-1 ms timer limit). */
const DAY_S = 86400;

export const SETTINGS = [
  {
    key: 'configFile', type: 'path', flag: 'config', short: 'c', env: 'YIMMO_WSGI_CONFIG', meta: 'FILE',
    default: null, defaultText: 'none', check: 'config-file',
    doc: 'Path to the yimmo-wsgi config yaml',
    details: 'Relative paths inside the file (python, TLS files) are taken relative to the file\'s directory. ' +
      'An empty file is an empty configuration; unknown keys are errors.',
  },
  {
    key: 'logLevel', type: 'level', flag: 'log-level', short: 'l', env: 'YIMMO_LOG_LEVEL', yaml: 'log_level',
    meta: 'LEVEL', default: 'NOTICE',
    doc: 'Yimmo log level, FATAL to TRACE (any case)',
    details: 'One of FATAL, ERROR, WARNING, NOTICE, INFO, DEBUG, TRACE; WARN is accepted for WARNING. It does not change the Python `logging` levels of the application.',
  },
  {
    key: 'port', type: 'int', flag: 'port', short: 'P', env: 'YIMMO_WSGI_PORT', yaml: 'wsgi.port', meta: 'PORT',
    default: 8081, min: 0, max: 65535, zero: 'any free port (the banner shows which)',
    doc: 'Port to listen on',
  },
  {
    key: 'host', type: 'string', flag: 'host', env: 'YIMMO_WSGI_HOST', yaml: 'wsgi.host', meta: 'ADDRESS',
    default: '0.0.0.0', check: 'host', repeatable: true,
    doc: 'Address to bind to, on --port (repeatable: every one is bound)',
    details: 'An IPv4 or IPv6 address (`::` for all IPv6 interfaces, `127.0.0.1` for loopback only) or a host name. ' +
      'The default binds all IPv4 interfaces, as the original did. Give the flag again to listen on more addresses ' +
      '(`--host 127.0.0.1 --host ::1`); in YIMMO_WSGI_HOST separate them with commas, in the config file a list. ' +
      'Shorthand for `--bind HOST:PORT`: with `--bind`, neither `--host` nor `--port` may be set.',
  },
  {
    key: 'bind', type: 'string', flag: 'bind', short: 'b', env: 'YIMMO_WSGI_BIND', yaml: 'wsgi.bind', meta: 'ADDRESS',
    default: null, defaultText: 'none (--host and --port; the inherited sockets under systemd socket activation)',
    example: 'unix:/run/yimmo/app.sock', check: 'bind', repeatable: true,
    doc: 'Listen on HOST:PORT, [IPV6]:PORT, unix:PATH or fd://N (repeatable)',
    details: 'Give the flag once per address; in YIMMO_WSGI_BIND separate them with commas or newlines, in the config ' +
      'file a list (or one string). `unix:PATH` is a Unix socket: its directory must exist and be writable, a socket ' +
      'file left by a server that is gone is replaced, one a live server answers on stops the start-up ' +
      '(exit 4), and the file is removed when the server stops. `fd://N` serves a listening socket inherited as ' +
      'descriptor N; `fd://NAME` the socket systemd passed under that name (FileDescriptorName=). Under systemd ' +
      'socket activation (LISTEN_FDS and LISTEN_PID set for this process) with no `--bind`, `--host` or `--port`, ' +
      'every inherited socket is served. TLS, when on, applies to every address. On a Unix socket the application ' +
      'sees REMOTE_ADDR \'\' and no REMOTE_PORT, as under gunicorn (docs/deploy.md).',
  },
  {
    key: 'unixSocketMode', type: 'string', flag: 'unix-socket-mode', env: 'YIMMO_WSGI_UNIX_SOCKET_MODE',
    yaml: 'wsgi.unix_socket_mode', meta: 'OCTAL', default: null, defaultText: 'none (the umask decides)', example: '660',
    check: 'file-mode',
    doc: 'Permissions of the Unix sockets the server creates (octal, e.g. 660)',
    details: 'Applied right after the socket is bound, before any connection is accepted. With `--user`/`--group` the ' +
      'socket is also given that owner and group (as gunicorn does), so a proxy in the group can connect with 660.',
  },
  {
    key: 'processes', type: 'int', flag: 'no-proc', short: 'p', env: 'YIMMO_WSGI_NO_PROC', yaml: 'wsgi.no_proc',
    meta: 'N', default: 1, min: 1, max: 256,
    doc: 'Number of processes to run',
    details: 'Each process is one Node worker (I/O) with its own Python host; more processes means less GIL contention.',
  },
  {
    key: 'threads', type: 'int', flag: 'no-threads', short: 't', env: 'YIMMO_WSGI_NO_THREADS',
    yaml: 'wsgi.no_threads', meta: 'N', default: 1, min: 1, max: 1024,
    doc: 'Number of worker threads per proc',
    details: 'Threads of the Python host that run the application; each handles one request at a time.',
  },
  {
    key: 'module', type: 'string', env: 'YIMMO_WSGI_MODULE', yaml: 'wsgi.module', meta: 'MODULE',
    default: null, defaultText: 'none (required)', example: 'hello', check: 'module',
    doc: 'WSGI module (if not provided as arg)',
    details: 'The part of the `MODULE:EXPRESSION` argument before the first colon: a dotted Python module name, ' +
      'imported with the interpreter\'s usual search path (set PYTHONPATH for modules elsewhere).',
  },
  {
    key: 'app', type: 'string', env: 'YIMMO_WSGI_APP', yaml: 'wsgi.app', meta: 'EXPRESSION',
    default: null, defaultText: 'none (required)', example: 'app', check: 'expression',
    doc: 'WSGI app (if not provided as arg)',
    details: 'Everything after the first colon of the argument: a Python expression evaluated with the module\'s ' +
      'namespace as globals, e.g. `app`, `create_app("my_config.cfg")`, `obj.attr` or a lambda. ' +
      'It may itself contain colons. Its result must be callable.',
  },
  {
    key: 'python', type: 'path', flag: 'python', env: 'YIMMO_PYTHON', yaml: 'wsgi.python', meta: 'PATH',
    default: null, defaultText: '`$VIRTUAL_ENV/bin/python` if VIRTUAL_ENV is set, else `python3` (the pip-installed `yimmo-wsgi`: its own interpreter)',
    example: 'python3', check: 'executable',
    doc: 'Python interpreter that runs the application (CPython >= 3.8)',
    details: 'A path (absolute, or relative) to an executable, or a bare name looked up on PATH.',
  },
  {
    key: 'chdir', type: 'path', flag: 'chdir', env: 'YIMMO_WSGI_CHDIR', yaml: 'wsgi.chdir', meta: 'DIR',
    default: null, defaultText: 'none (stay in the current directory)', example: '/srv/app', check: 'directory',
    doc: 'Change to this directory before starting the workers and loading the app',
    details: 'The application module is looked for there first. Relative paths of other settings are resolved ' +
      'before the change, against the directory the server was started in (or the config file\'s).',
  },
  {
    key: 'pythonPath', type: 'string', flag: 'pythonpath', env: 'YIMMO_WSGI_PYTHONPATH', yaml: 'wsgi.pythonpath',
    meta: 'DIRS', default: null, defaultText: 'none', example: '/srv/app/src,/srv/lib', check: 'path-list',
    doc: 'Comma list of directories put at the front of the app\'s sys.path',
    details: 'They come right after the working directory, ahead of PYTHONPATH and site-packages. Relative ' +
      'directories are resolved like other paths.',
  },
  {
    key: 'env', type: 'string', flag: 'env', env: 'YIMMO_WSGI_ENV', yaml: 'wsgi.env', meta: 'KEY=VALUE',
    default: null, defaultText: 'none', example: 'DJANGO_SETTINGS_MODULE=mysite.settings', check: 'env-list', repeatable: true,
    doc: 'Set an environment variable for the workers and the app (repeatable)',
    details: 'Give the flag once per variable. In YIMMO_WSGI_ENV put one KEY=VALUE per line; in the config file ' +
      'a mapping (`env: {KEY: VALUE}`) or a list of `KEY=VALUE` strings. The command line, the environment and the ' +
      'file do not merge: the first of them that sets it wins, as for every setting.',
  },
  {
    key: 'user', type: 'string', flag: 'user', env: 'YIMMO_WSGI_USER', yaml: 'wsgi.user', meta: 'USER',
    default: null, defaultText: 'none (keep the user the server was started as)', example: 'www-data', check: 'user',
    doc: 'Run workers and the application as this user (name or uid), after binding',
    details: 'The supervisor binds the port first and stays as started; every worker and Python host switches ' +
      'to this user (and to its primary group unless `--group` is given). Starting as root without it ' +
      'runs the application as root, which is logged at WARNING.',
  },
  {
    key: 'group', type: 'string', flag: 'group', env: 'YIMMO_WSGI_GROUP', yaml: 'wsgi.group', meta: 'GROUP',
    default: null, defaultText: 'none (the user\'s primary group)', example: 'www-data', check: 'group',
    doc: 'Run workers and the application with this group (name or gid)',
  },
  {
    key: 'umask', type: 'string', flag: 'umask', env: 'YIMMO_WSGI_UMASK', yaml: 'wsgi.umask', meta: 'OCTAL',
    default: null, defaultText: 'none (inherited)', example: '027', check: 'umask',
    doc: 'File mode creation mask of the server and the application (octal, e.g. 027)',
  },
  {
    key: 'pidFile', type: 'path', flag: 'pid-file', env: 'YIMMO_WSGI_PID_FILE', yaml: 'wsgi.pid_file', meta: 'FILE',
    default: null, defaultText: 'none', example: '/run/yimmo-wsgi.pid', check: 'pid-file',
    doc: 'Write the supervisor\'s pid to this file once listening; removed on exit',
    details: 'A file that names a running process stops the server from starting (exit 2); a stale one is replaced.',
  },
  {
    key: 'idleTimeoutMs', type: 'seconds', flag: 'idle-timeout', env: 'YIMMO_SERVER_IDLE_TIMEOUT',
    yaml: 'wsgi.idle_timeout', meta: 'SECONDS', default: 5, max: DAY_S, zeroAllowed: false,
    doc: 'Socket-level idle disconnect timeout',
    details: 'A connection with no request in progress and no I/O for this long is closed. ' +
      'A request the application is still handling is never cut by it (see request timeout).',
  },
  {
    key: 'headerTimeoutMs', type: 'seconds', flag: 'header-timeout', env: 'YIMMO_WSGI_HEADER_TIMEOUT',
    yaml: 'wsgi.header_timeout', meta: 'SECONDS', default: 10, max: DAY_S, zeroAllowed: false,
    doc: 'Time for a whole request head to arrive, from its first byte',
    details: 'A slower client gets 408 and is disconnected.',
  },
  {
    key: 'bodyTimeoutMs', type: 'seconds', flag: 'body-timeout', env: 'YIMMO_WSGI_BODY_TIMEOUT',
    yaml: 'wsgi.body_timeout', meta: 'SECONDS', default: 10, max: DAY_S, zeroAllowed: false,
    doc: 'Time for each 64 KiB of request body (or the rest of it) to arrive',
  },
  {
    key: 'requestTimeoutMs', type: 'seconds', flag: 'request-timeout', env: 'YIMMO_WSGI_REQUEST_TIMEOUT',
    yaml: 'wsgi.request_timeout', meta: 'SECONDS', default: 60, max: DAY_S, zeroAllowed: true, zero: 'off',
    doc: 'Longest the app may take to start its response, or between two pieces of it',
    details: 'When it passes the client gets 504, the Python traceback of the stuck thread is logged and the ' +
      'host is recycled.',
  },
  {
    key: 'sendTimeoutMs', type: 'seconds', flag: 'send-timeout', env: 'YIMMO_WSGI_SEND_TIMEOUT',
    yaml: 'wsgi.send_timeout', meta: 'SECONDS', default: 60, max: DAY_S, zeroAllowed: false,
    doc: 'Longest a client may take no response bytes while some wait for it',
    details: 'When it passes the connection is dropped and the application is told to stop, so a client that ' +
      'stops reading never holds an application thread (also while a large body waits to be written by the ' +
      'Python host directly). A direct write in progress is bounded by the request timeout instead, or by this ' +
      'one when the request timeout is off.',
  },
  {
    key: 'hostStartTimeoutMs', type: 'seconds', flag: 'host-start-timeout', env: 'YIMMO_WSGI_HOST_START_TIMEOUT',
    yaml: 'wsgi.host_start_timeout', meta: 'SECONDS', default: 60, max: DAY_S, zeroAllowed: false,
    doc: 'Longest a Python host may take to import the app and say it is ready',
    details: 'A host that has not finished starting by then is killed. At server start this ends the server like ' +
      'a failed import (exit 3); a replacement host (after a crash or a request timeout) is retried with ' +
      'backoff (0.1 s doubling up to 10 s), each failed attempt logged and reported to the supervisor. ' +
      'Generous by default: a large Django project can take many seconds to import.',
  },
  {
    key: 'gracefulTimeoutMs', type: 'seconds', flag: 'graceful-timeout', env: 'YIMMO_WSGI_GRACEFUL_TIMEOUT',
    yaml: 'wsgi.graceful_timeout', meta: 'SECONDS', default: 30, max: DAY_S, zeroAllowed: true,
    zero: 'stop at once',
    doc: 'Time to drain requests on SIGTERM/SIGINT before forcing an exit',
  },
  {
    key: 'maxRequests', type: 'int', flag: 'max-requests', env: 'YIMMO_WSGI_MAX_REQUESTS', yaml: 'wsgi.max_requests',
    meta: 'N', default: 0, min: 0, max: 1_000_000_000, zero: 'off',
    doc: 'Replace a Python host after it has been given this many requests (plus the jitter)',
    details: 'A recycle is a host swap: a new host loads the app and takes the new requests while the old one ' +
      'finishes its own and exits, so no request fails and no connection closes. It works around leaks in the ' +
      'application. Counted as reason `recycle` in yimmo_host_restarts_total.',
  },
  {
    key: 'maxRequestsJitter', type: 'int', flag: 'max-requests-jitter', env: 'YIMMO_WSGI_MAX_REQUESTS_JITTER',
    yaml: 'wsgi.max_requests_jitter', meta: 'N', default: 0, min: 0, max: 1_000_000_000,
    doc: 'Add a random 0..N to --max-requests, drawn for each host, so hosts do not all restart together',
  },
  {
    key: 'maxRssBytes', type: 'size', flag: 'max-rss', env: 'YIMMO_WSGI_MAX_RSS', yaml: 'wsgi.max_rss', meta: 'SIZE',
    default: 0, min: 0, max: 1024 * GIB, zero: 'off',
    doc: 'Replace a Python host whose resident memory (VmRSS) is above this size',
    details: 'Each worker reads its host\'s VmRSS from /proc every 5 s, at a random phase for each host (Linux only; elsewhere the setting has no ' +
      'effect). The replacement is a host swap, as for --max-requests.',
  },
  {
    key: 'maxHostAgeMs', type: 'seconds', flag: 'max-host-age', env: 'YIMMO_WSGI_MAX_HOST_AGE',
    yaml: 'wsgi.max_host_age', meta: 'SECONDS', default: 0, max: 365 * DAY_S, zeroAllowed: true, zero: 'off',
    doc: 'Replace a Python host that has run this long (plus the jitter)',
    details: 'The replacement is a host swap, as for --max-requests.',
  },
  {
    key: 'maxHostAgeJitterMs', type: 'seconds', flag: 'max-host-age-jitter', env: 'YIMMO_WSGI_MAX_HOST_AGE_JITTER',
    yaml: 'wsgi.max_host_age_jitter', meta: 'SECONDS', default: 0, max: 365 * DAY_S, zeroAllowed: true,
    doc: 'Add a random 0..SECONDS to --max-host-age, drawn for each host',
  },
  {
    key: 'reload', type: 'bool', flag: 'reload', env: 'YIMMO_WSGI_RELOAD', yaml: 'wsgi.reload', meta: '[0|1]',
    default: false,
    doc: 'Development: swap the Python hosts when a Python file of the app changes',
    details: 'The supervisor polls, every second, the files of the modules the hosts had loaded once the app was ' +
      'imported (not those of the standard library or site-packages) and every --reload-extra-file; after a change ' +
      '(and 0.3 s without another) every worker swaps its host, with no connection closed. If the new code does ' +
      'not import (a syntax error), the last good code keeps serving and the error is logged once.',
  },
  {
    key: 'reloadExtraFiles', type: 'string', flag: 'reload-extra-file', env: 'YIMMO_WSGI_RELOAD_EXTRA_FILE',
    yaml: 'wsgi.reload_extra_file', meta: 'FILE', default: null, defaultText: 'none', example: 'templates/base.html',
    check: 'file-list', repeatable: true,
    doc: 'With --reload, also watch this file (repeatable)',
    details: 'Give the flag once per file; in YIMMO_WSGI_RELOAD_EXTRA_FILE one file per line; in the config file a ' +
      'list. Relative paths are resolved like other paths. A file that does not exist yet is watched for its creation.',
  },
  {
    key: 'tlsCertPath', type: 'path', flag: 'tls-cert', env: 'YIMMO_TLS_CERT_PATH', yaml: 'wsgi.tls.cert',
    meta: 'FILE', default: null, defaultText: 'none (plain HTTP)', example: '/path/to/site.crt', check: 'tls-file',
    doc: 'TLS certificate path (PEM; enables TLS together with the key)',
    details: 'Set both the certificate and the key, or neither. Both files are read and checked as a pair at startup.',
  },
  {
    key: 'tlsKeyPath', type: 'path', flag: 'tls-key', env: 'YIMMO_TLS_KEY_PATH', yaml: 'wsgi.tls.key',
    meta: 'FILE', default: null, defaultText: 'none (plain HTTP)', example: '/path/to/cert.pem', check: 'tls-file',
    doc: 'TLS private key path (PEM, unencrypted)',
  },
  {
    key: 'forwardedAllowIps', type: 'string', flag: 'forwarded-allow-ips', env: 'YIMMO_WSGI_FORWARDED_ALLOW_IPS',
    yaml: 'wsgi.forwarded_allow_ips', meta: 'LIST', default: '127.0.0.1,::1', check: 'address-list',
    doc: 'Peers trusted to set the scheme (and, if asked, the client address) with forwarding headers',
    details: 'A comma list of IP addresses and CIDR blocks, or `*` for every peer (only when nothing but your proxy can ' +
      'reach the server). From these peers (and from Unix-socket peers), `X-Forwarded-Proto`, `X-Forwarded-Ssl` and ' +
      '`Forwarded: proto=` (RFC 7239) set `wsgi.url_scheme`; fields that contradict each other change nothing. ' +
      'From any other peer the fields reach the application untouched but change nothing. The proxy must overwrite ' +
      'these fields, not pass on what the client sent.',
  },
  {
    key: 'remoteAddrFromForwarded', type: 'bool', flag: 'remote-addr-from-forwarded',
    env: 'YIMMO_WSGI_REMOTE_ADDR_FROM_FORWARDED', yaml: 'wsgi.remote_addr_from_forwarded', meta: '[0|1]', default: false,
    doc: 'Take REMOTE_ADDR/REMOTE_PORT from X-Forwarded-For or Forwarded: for= sent by a trusted peer',
    details: 'The client is the rightmost address of the list that is not in `--forwarded-allow-ips` (the leftmost ' +
      'if all are). REMOTE_PORT is the port the field gives, else 0. A list with an entry that is not an address, ' +
      'or the two fields naming different clients, changes nothing.',
  },
  {
    key: 'rootPath', type: 'string', flag: 'root-path', env: 'YIMMO_WSGI_ROOT_PATH', yaml: 'wsgi.root_path',
    meta: 'PATH', default: null, defaultText: 'none', example: '/app', check: 'root-path',
    doc: 'Mount the application under this path: SCRIPT_NAME, stripped from PATH_INFO',
    details: 'A request path equal to it or starting with it and `/` loses it from PATH_INFO; other paths are passed ' +
      'whole. SCRIPT_NAME is set either way, so the application builds its URLs under it.',
  },
  {
    key: 'proxyProtocol', type: 'bool', flag: 'proxy-protocol', env: 'YIMMO_WSGI_PROXY_PROTOCOL',
    yaml: 'wsgi.proxy_protocol', meta: '[0|1]', default: false,
    doc: 'Read a PROXY protocol header (v1 or v2) on connections from --proxy-allow-ips',
    details: 'A peer in `--proxy-allow-ips` must start each connection with a PROXY header (HAProxy `send-proxy` or ' +
      '`send-proxy-v2`), before TLS when TLS is on: REMOTE_ADDR and REMOTE_PORT are the client\'s, and a v2 SSL TLV ' +
      'makes the scheme https. A missing, malformed or slow header (5 s, or the header timeout if shorter) closes the ' +
      'connection. v2 LOCAL (health checks) and v1 UNKNOWN are served as direct connections. Other peers are served ' +
      'as direct clients, but one that sends a PROXY header is disconnected.',
  },
  {
    key: 'proxyAllowIps', type: 'string', flag: 'proxy-allow-ips', env: 'YIMMO_WSGI_PROXY_ALLOW_IPS',
    yaml: 'wsgi.proxy_allow_ips', meta: 'LIST', default: '127.0.0.1,::1', check: 'address-list',
    doc: 'Peers allowed to send a PROXY protocol header',
    details: 'Same syntax as `--forwarded-allow-ips`.',
  },
  {
    key: 'http2', type: 'bool', flag: 'http2', env: 'YIMMO_WSGI_HTTP2', yaml: 'wsgi.http2', meta: '[0|1]', default: false,
    doc: 'Serve HTTP/2: ALPN h2 with TLS, h2c with prior knowledge without, next to HTTP/1.1 on the same port',
    details: 'With TLS the handshake offers `h2` and `http/1.1` (ALPN); without TLS a connection that opens with the ' +
      'HTTP/2 connection preface is served as HTTP/2 (h2c "prior knowledge"), any other as HTTP/1.1. There is no ' +
      '`Upgrade: h2c` (RFC 9113 removed it). Each stream is one WSGI request (SERVER_PROTOCOL `HTTP/2`) with the ' +
      'same timeouts, limits and access log as HTTP/1.1; `--max-header-size` and `--max-headers` bound the header ' +
      'list, `--max-body-size` the body. Behind a proxy this is the proxy-to-us hop only: nginx speaks HTTP/1.1 to ' +
      'upstreams, HAProxy can use h2 (`proto h2`).',
  },
  {
    key: 'http2MaxConcurrentStreams', type: 'int', flag: 'http2-max-concurrent-streams',
    env: 'YIMMO_WSGI_HTTP2_MAX_CONCURRENT_STREAMS', yaml: 'wsgi.http2_max_concurrent_streams', meta: 'N',
    default: 100, min: 1, max: 65535,
    doc: 'Most open streams per HTTP/2 connection (SETTINGS_MAX_CONCURRENT_STREAMS)',
    details: 'A stream beyond it is refused (RST_STREAM REFUSED_STREAM); a client that keeps opening refused ' +
      'streams, or resets streams faster than 33 per second after a burst of 1000 (rapid reset), loses its connection.',
  },
  {
    key: 'http2MaxSessionMemoryBytes', type: 'size', flag: 'http2-max-session-memory',
    env: 'YIMMO_WSGI_HTTP2_MAX_SESSION_MEMORY', yaml: 'wsgi.http2_max_session_memory', meta: 'SIZE',
    default: 10 * MIB, min: MIB, max: GIB,
    doc: 'Memory one HTTP/2 connection may hold in node:http2 (whole MiB); past it new streams are refused',
  },
  {
    key: 'maxRequestLine', type: 'int', flag: 'max-request-line', env: 'YIMMO_WSGI_MAX_REQUEST_LINE',
    yaml: 'wsgi.max_request_line', meta: 'BYTES', default: 8190, min: 16, max: MIB,
    doc: 'Longest request line in bytes; longer gets 414',
  },
  {
    key: 'maxHeaderBytes', type: 'size', flag: 'max-header-size', env: 'YIMMO_WSGI_MAX_HEADER_SIZE',
    yaml: 'wsgi.max_header_size', meta: 'SIZE', default: 64 * KIB, min: 256, max: 16 * MIB,
    doc: 'Largest header section in bytes; larger gets 431',
  },
  {
    key: 'maxHeaders', type: 'int', flag: 'max-headers', env: 'YIMMO_WSGI_MAX_HEADERS', yaml: 'wsgi.max_headers',
    meta: 'N', default: 100, min: 1, max: 10000,
    doc: 'Most header fields in a request; more gets 431',
  },
  {
    key: 'maxBodyBytes', type: 'size', flag: 'max-body-size', env: 'YIMMO_WSGI_MAX_BODY_SIZE',
    yaml: 'wsgi.max_body_size', meta: 'SIZE', default: GIB, min: 0, max: Number.MAX_SAFE_INTEGER,
    zero: 'no request body is accepted',
    doc: 'Largest request body in bytes (512K, 10M, 1G accepted); larger gets 413',
    details: 'Bodies are streamed to the application, never buffered whole, so this bounds what one request may send, ' +
      'not memory.',
  },
  {
    key: 'maxChunkExtension', type: 'int', flag: 'max-chunk-extension', env: 'YIMMO_WSGI_MAX_CHUNK_EXTENSION',
    yaml: 'wsgi.max_chunk_extension', meta: 'BYTES', default: 4096, min: 0, max: MIB,
    doc: 'Longest chunk extension in a chunked body; longer gets 400',
  },
  {
    key: 'maxConnections', type: 'int', flag: 'max-connections', env: 'YIMMO_WSGI_MAX_CONNECTIONS',
    yaml: 'wsgi.max_connections', meta: 'N', default: 1000, min: 1, max: 1000000,
    doc: 'Most open connections per process; beyond it a new connection gets 503 and is closed',
  },
  {
    key: 'backlog', type: 'int', flag: 'backlog', env: 'YIMMO_WSGI_BACKLOG', yaml: 'wsgi.backlog', meta: 'N',
    default: 2048, min: 1, max: 65535,
    doc: 'Length of the listen queue of connections not yet accepted',
    details: 'The kernel may cap it (net.core.somaxconn on Linux).',
  },
  {
    key: 'logFormat', type: 'string', flag: 'log-format', env: 'YIMMO_WSGI_LOG_FORMAT', yaml: 'wsgi.log_format',
    meta: 'FORMAT', default: 'text', check: 'log-format',
    doc: 'Format of the error and access logs: text or json',
    details: 'text: `2026-11-24T05:54:50.123Z [pid] LEVEL message`, a traceback on its own lines after it. ' +
      'json: one JSON object per line (time, level, pid, message; access records add the request\'s fields), ' +
      'a traceback inside its record. See docs/logging.md.',
  },
  {
    key: 'errorLog', type: 'path', flag: 'error-log', env: 'YIMMO_WSGI_ERROR_LOG', yaml: 'wsgi.error_log', meta: 'FILE',
    default: null, defaultText: 'stderr', example: '/var/log/yimmo/error.log', check: 'error-log',
    doc: 'File the server log goes to (- for stderr)',
    details: 'Opened for appending by every process; includes the Python host\'s messages and the lines the ' +
      'application writes to stderr. SIGUSR1 reopens it (logrotate).',
  },
  {
    key: 'accessLog', type: 'path', flag: 'access-log', env: 'YIMMO_WSGI_ACCESS_LOG', yaml: 'wsgi.access_log',
    meta: 'FILE', default: null, defaultText: 'none', example: '/var/log/yimmo/access.log', check: 'access-log',
    doc: 'File for one line per request (- for stdout), whatever the log level',
    details: 'Without it, the access lines go to the error log at INFO (so only with --log-level INFO or more). ' +
      'Every exchange is logged, including 408, 502, 504 and aborted ones, with the body bytes actually sent. ' +
      'SIGUSR1 reopens it (logrotate).',
  },
  {
    key: 'accessLogFormat', type: 'string', flag: 'access-log-format', env: 'YIMMO_WSGI_ACCESS_LOG_FORMAT',
    yaml: 'wsgi.access_log_format', meta: 'FORMAT', default: DEFAULT_ACCESS_FORMAT, check: 'access-log-format',
    doc: 'Access log line, with gunicorn\'s atoms',
    details: `Atoms: ${ACCESS_ATOMS.map(([atom, what]) => `\`%(${atom})s\` ${what}`).join('; ')}; \`%%\` a percent sign. ` +
      'An unknown atom stops the server at start-up. In json format the line is the record\'s `message`.',
  },
  {
    key: 'metricsBind', type: 'string', flag: 'metrics-bind', env: 'YIMMO_WSGI_METRICS_BIND', yaml: 'wsgi.metrics_bind',
    meta: 'ADDR', default: null, defaultText: 'none (off)', example: '127.0.0.1:9091', check: 'host-port',
    doc: 'Address (HOST:PORT) of the admin endpoint: Prometheus /metrics and the live /status page',
    details: 'Served by the supervisor, aggregated over all workers and hosts (docs/operating.md). ' +
      'It shows request paths, client addresses and Python stacks and has no authentication: bind it to ' +
      'loopback or a private network, never to a public interface. Port 0 picks a free port (logged at start-up). ' +
      'An address already in use stops the server at start-up with exit status 4.',
  },
  {
    key: 'slowRequestMs', type: 'seconds', flag: 'slow-request', env: 'YIMMO_WSGI_SLOW_REQUEST',
    yaml: 'wsgi.slow_request', meta: 'SECONDS', default: 1, max: DAY_S, zeroAllowed: false,
    doc: 'A request that takes longer is slow: listed on the status page, its Python stack viewable there',
    details: 'The status page keeps the last 20 finished slow requests per process, and offers the Python stack ' +
      'of a request in flight for longer than this. It changes nothing about how requests are served.',
  },
  {
    key: 'useKqueue', type: 'bool', env: 'YIMMO_WSGI_USE_KQUEUE', yaml: 'wsgi.use_kqueue', meta: '0|1',
    default: false,
    doc: 'Accepted for compatibility; has no effect',
    details: 'The original used it to choose kqueue over select(). Node picks the best poller of the system itself ' +
      '(epoll, kqueue, ...), so the value is validated (0 or 1) and otherwise ignored.',
  },
] as const satisfies readonly Setting[];

export type SettingKey = (typeof SETTINGS)[number]['key'];

/** SETTINGS widened for generic code: iterate this, narrow on `type`. */
export type AnySetting = Setting & { readonly key: SettingKey };
export const ALL_SETTINGS: readonly AnySetting[] = SETTINGS;

/** Flags that are actions rather than settings; they are listed in --help too. */
export const ACTIONS = [
  { action: 'help', flag: 'help', short: 'h', doc: 'Display usage info (this)' },
  { action: 'version', flag: 'version', doc: 'Print the version and exit' },
  {
    action: 'check-config', flag: 'check-config',
    doc: 'Validate the configuration, print each setting with its value and origin and the addresses it would listen on (inherited sockets included), exit 0 (valid) or 2',
  },
  { action: 'print-config', flag: 'print-config', doc: 'Print the effective configuration as a YAML config file and exit' },
] as const;

/** Actions that win over everything else on the command line, even bad arguments. */
export const EARLY_ACTIONS: readonly string[] = ['help', 'version'];

export function settingByKey(key: SettingKey): AnySetting {
  const found = ALL_SETTINGS.find((s) => s.key === key);
  if (found === undefined) throw new Error(`no setting ${key}`);
  return found;
}

/** The default as help and docs show it (in the setting's own unit). */
export function defaultText(s: Setting): string {
  switch (s.type) {
    case 'string':
    case 'path':
      return s.defaultText ?? (s.default === null ? 'none' : s.default);
    case 'bool':
      return s.default ? '1' : '0';
    case 'size':
      return formatSize(s.default);
    default:
      return String(s.default);
  }
}

/** 1073741824 -> '1G', 65536 -> '64K', 1000 -> '1000'. */
export function formatSize(bytes: number): string {
  for (const [suffix, unit] of [['T', 1024 * GIB], ['G', GIB], ['M', MIB], ['K', KIB]] as const) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit}${suffix}`;
  }
  return String(bytes);
}

/** The accepted range, as a phrase ending a ConfigError message and in the docs. */
export function rangeText(s: Setting): string {
  switch (s.type) {
    case 'int':
      return `an integer from ${s.min} to ${s.max}`;
    case 'seconds':
      return s.zeroAllowed
        ? `a number of seconds from 0 to ${s.max}`
        : `a number of seconds above 0, at most ${s.max}`;
    case 'size':
      return `a size in bytes from ${formatSize(s.min)} to ${s.max === Number.MAX_SAFE_INTEGER ? '2^53-1' : formatSize(s.max)}` +
        ' (digits, optionally followed by K, M, G or T)';
    case 'bool':
      return '0 or 1 (true or false)';
    case 'level':
      return 'one of FATAL, ERROR, WARNING, NOTICE, INFO, DEBUG, TRACE (any case)';
    case 'string':
    case 'path':
      return CHECK_TEXT[s.check];
  }
}

const CHECK_TEXT: { readonly [C in Check]: string } = {
  host: 'an IP address or a host name',
  bind: 'HOST:PORT, [IPV6]:PORT, unix:PATH or fd://N (repeat the flag for more; commas between them in the variable; ' +
    'a list in YAML)',
  'file-mode': 'an octal mode from 000 to 777, e.g. 660',
  module: 'a dotted Python module name, e.g. pkg.mod',
  expression: 'a non-empty Python expression',
  executable: 'an executable file, or a command name found on PATH',
  'tls-file': 'a readable PEM file',
  'config-file': 'a readable YAML file',
  'log-format': 'text or json',
  'error-log': 'a file path (created if missing, appended to), or - for stderr',
  'access-log': 'a file path (created if missing, appended to), or - for stdout',
  'access-log-format': 'a format made of text and gunicorn\'s access-log atoms, e.g. %(h)s "%(r)s" %(s)s',
  'address-list': 'a comma list of IP addresses and CIDR blocks (10.0.0.0/8, fd00::/8), or *',
  directory: 'an existing directory',
  'path-list': 'a comma list of directories',
  'file-list': 'a file path (repeat the flag for more; one per line in the environment; a list in the config file)',
  'env-list': 'KEY=VALUE, KEY a letter or _ then letters, digits or _ (repeat the flag for more; one per line in ' +
    'the variable; a mapping or a list of KEY=VALUE in YAML)',
  user: 'a user name or a numeric uid known to the system',
  group: 'a group name or a numeric gid known to the system',
  umask: 'an octal mask from 000 to 777, e.g. 022',
  'pid-file': 'a file path in an existing directory',
  'root-path': 'a path starting with / and not ending with / (letters, digits and -._~!$&\'()*+,;=:@/)',
  'host-port': 'HOST:PORT, an IP address ([...] for IPv6) or host name and a port from 0 to 65535, e.g. 127.0.0.1:9091',
};
