// The access log line, with gunicorn's atoms (its `access_log_format`
// setting): the format is compiled once at start-up into a function of one
// exchange; an unknown atom is a configuration error then, not a '-' at every
// request. Pure: no I/O, imports nothing from the server.
//
// Atoms: h l u t r m U q H s B b f a T M D L p, %({name}i)s request header,
// %({name}o)s response header, %({name}e)s environ (CGI) variable; %% is a
// percent sign. A conversion other than `s` is accepted as in Python (`d`).
// Values taken from the request or the response are escaped as Apache
// escapes them (`"` and `\` with a backslash, controls as \xHH), so a
// header cannot forge a second line or a field boundary.

export const DEFAULT_ACCESS_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"';

/** What one exchange leaves for its access log line. */
export interface AccessEntry {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly scheme: 'http' | 'https';
  /** False when no complete request head arrived (a header timeout, a malformed request): %(r)s is '-'. */
  readonly headParsed: boolean;
  readonly method: string;
  /** The request-target as received. */
  readonly target: string;
  /** Percent-encoded path of the target. */
  readonly path: string;
  readonly query: string;
  readonly minorVersion: 0 | 1;
  /** The request came over HTTP/2 (%(H)s is HTTP/2.0, as nginx's $server_protocol). */
  readonly http2?: boolean;
  /** [name, value, ...], names lower-cased (RequestHead.headers). */
  readonly requestHeaders: readonly string[];
  /** 0 when no response head was sent. */
  readonly status: number;
  /** Body bytes actually sent. */
  readonly bodyBytes: number;
  /** The response head as written on the wire ('' when none was). */
  readonly responseHead: string;
  /** When the request started, epoch milliseconds. */
  readonly startMs: number;
  readonly durationUs: number;
  readonly pid: number;
}

/** The documented atoms, for --help, docs and the error message. */
export const ACCESS_ATOMS: readonly (readonly [string, string])[] = [
  ['h', 'remote address'],
  ['l', "'-'"],
  ['u', 'user name (HTTP Basic authentication), or -'],
  ['t', 'date of the request, [01/Dec/2026:09:54:01 +0000]'],
  ['r', 'request line (GET /path?q HTTP/1.1)'],
  ['m', 'request method'],
  ['U', 'URL path without query string (percent-decoded)'],
  ['q', 'query string'],
  ['H', 'protocol (HTTP/1.1)'],
  ['s', 'status (- when no response was sent)'],
  ['B', 'response body bytes sent'],
  ['b', "response body bytes sent, or '-' for none (CLF)"],
  ['f', 'referer'],
  ['a', 'user agent'],
  ['T', 'request time in whole seconds'],
  ['M', 'request time in milliseconds'],
  ['D', 'request time in microseconds'],
  ['L', 'request time in decimal seconds (0.001234)'],
  ['p', 'process ID, <1234>'],
  ['{header}i', 'request header'],
  ['{header}o', 'response header'],
  ['{variable}e', 'environ (CGI) variable computed by the server'],
];

export type AccessRenderer = (entry: AccessEntry) => string;
export type Compiled =
  | { readonly ok: true; readonly render: AccessRenderer; /** The atoms the format names, in order (repeats kept). */ readonly atoms: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/**
 * The atoms that show a duration below the second (D, L, M): a format with
 * none of them is served by the millisecond clock the connection keeps
 * anyway; one with any has the request timed with the monotonic clock
 * (performance.now) as well, which only then costs a clock read more.
 */
export const FINE_DURATION_ATOMS: ReadonlySet<string> = new Set(['D', 'L', 'M']);

type Part = string | AccessRenderer;

const SIMPLE: Readonly<Record<string, AccessRenderer>> = {
  h: (e) => e.remoteAddress || '-',
  l: () => '-',
  u: (e) => escape(basicUser(header(e.requestHeaders, 'authorization')) ?? '-'),
  t: (e) => clfTime(e.startMs),
  r: (e) => (e.headParsed ? escape(`${e.method} ${e.target} ${protocol(e)}`) : '-'),
  m: (e) => escape(e.method),
  U: (e) => escape(percentDecode(e.path)),
  q: (e) => escape(e.query),
  H: (e) => protocol(e),
  s: (e) => (e.status === 0 ? '-' : String(e.status)),
  B: (e) => String(e.bodyBytes),
  b: (e) => (e.bodyBytes === 0 ? '-' : String(e.bodyBytes)),
  f: (e) => escape(header(e.requestHeaders, 'referer') ?? '-'),
  a: (e) => escape(header(e.requestHeaders, 'user-agent') ?? '-'),
  // All four from the same whole microseconds (as gunicorn, whose request
  // time is a timedelta): a fine duration of 3999.6 us is 4 ms, as D is 4000.
  T: (e) => String(Math.floor(Math.round(e.durationUs) / 1e6)),
  M: (e) => String(Math.floor(Math.round(e.durationUs) / 1e3)),
  D: (e) => String(Math.round(e.durationUs)),
  L: (e) => decimalSeconds(e.durationUs),
  p: (e) => `<${e.pid}>`,
};

const KNOWN = 'h l u t r m U q H s B b f a T M D L p {header}i {header}o {variable}e';

/** Compiles a format once; the reason of a failure names the bad atom. */
export function compileAccessFormat(format: string): Compiled {
  const parts: Part[] = [];
  const atoms: string[] = [];
  let literal = '';
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      literal += format.slice(i);
      break;
    }
    literal += format.slice(i, pct);
    const next = format[pct + 1];
    if (next === '%') {
      literal += '%';
      i = pct + 2;
      continue;
    }
    if (next !== '(') {
      return { ok: false, reason: `a lone '%' at position ${pct + 1} (write %% for a percent sign, %(name)s for an atom)` };
    }
    const close = format.indexOf(')', pct + 2);
    if (close < 0) return { ok: false, reason: `unterminated atom '${format.slice(pct, pct + 20)}' (expected %(name)s)` };
    const name = format.slice(pct + 2, close);
    const conversion = format[close + 1];
    if (conversion !== 's' && conversion !== 'd') {
      return { ok: false, reason: `atom '%(${name})' must be followed by s, as in %(${name})s` };
    }
    const atom = atomRenderer(name);
    if (atom === undefined) return { ok: false, reason: `unknown atom '%(${name})${conversion}' (known: ${KNOWN})` };
    if (literal !== '') parts.push(literal);
    literal = '';
    parts.push(atom);
    atoms.push(name);
    i = close + 2;
  }
  if (literal !== '') parts.push(literal);
  const frozen = parts.slice();
  return {
    ok: true,
    atoms,
    render: (entry) => {
      let out = '';
      for (const part of frozen) out += typeof part === 'string' ? part : part(entry);
      return out;
    },
  };
}

function atomRenderer(name: string): AccessRenderer | undefined {
  const simple = SIMPLE[name];
  if (simple !== undefined) return simple;
  const m = /^\{([^{}]+)\}([ioe])$/.exec(name);
  if (m === null) return undefined;
  // Header and variable names are matched case-insensitively, as gunicorn does.
  const key = (m[1] as string).toLowerCase();
  switch (m[2]) {
    case 'i':
      return (e) => escape(header(e.requestHeaders, key) ?? '-');
    case 'o':
      return (e) => escape(responseHeader(e.responseHead, key) ?? '-');
    default:
      return (e) => escape(environ(e, key) ?? '-');
  }
}

/** The fields of a JSON access record (--log-format json): the same facts, named. */
export function accessFields(e: AccessEntry): Record<string, string | number | null> {
  return {
    remote_addr: e.remoteAddress,
    user: basicUser(header(e.requestHeaders, 'authorization')) ?? null,
    request: e.headParsed ? `${e.method} ${e.target} ${protocol(e)}` : null,
    method: e.method,
    path: percentDecode(e.path),
    query: e.query,
    protocol: protocol(e),
    status: e.status === 0 ? null : e.status,
    bytes: e.bodyBytes,
    referer: header(e.requestHeaders, 'referer') ?? null,
    user_agent: header(e.requestHeaders, 'user-agent') ?? null,
    duration_us: Math.round(e.durationUs),
  };
}

function protocol(e: AccessEntry): string {
  if (e.http2 === true) return 'HTTP/2.0';
  return e.minorVersion === 1 ? 'HTTP/1.1' : 'HTTP/1.0';
}

/** Repeated fields combine with ", " (RFC 9110 5.3). */
function header(headers: readonly string[], lower: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (headers[i] === lower) found = found === undefined ? headers[i + 1] : `${found}, ${headers[i + 1] ?? ''}`;
  }
  return found;
}

/** A field of a wire head `HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n`. */
function responseHeader(head: string, lower: string): string | undefined {
  let found: string | undefined;
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.slice(0, colon).toLowerCase() !== lower) continue;
    const value = line.slice(colon + 1).trim();
    found = found === undefined ? value : `${found}, ${value}`;
  }
  return found;
}

/** The CGI variables the worker computes for the environ (src/worker/environ.ts), by lower-cased name. */
function environ(e: AccessEntry, name: string): string | undefined {
  switch (name) {
    case 'request_method':
      return e.method;
    case 'script_name':
      return '';
    case 'path_info':
      return percentDecode(e.path);
    case 'query_string':
      return e.query;
    case 'raw_uri':
      return e.target;
    case 'server_protocol':
      return protocol(e);
    case 'remote_addr':
      return e.remoteAddress;
    case 'remote_port':
      return String(e.remotePort);
    case 'server_port':
      return String(e.localPort);
    case 'wsgi.url_scheme':
      return e.scheme;
    case 'content_type':
      return header(e.requestHeaders, 'content-type');
    case 'content_length':
      return header(e.requestHeaders, 'content-length');
    default:
      return name.startsWith('http_') ? header(e.requestHeaders, name.slice(5).replace(/_/g, '-')) : undefined;
  }
}

function basicUser(authorization: string | undefined): string | undefined {
  if (authorization === undefined || !/^basic\s/i.test(authorization)) return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(0, colon);
}

/** %XX -> the byte, as a latin-1 character (PEP 3333 PATH_INFO). */
function percentDecode(path: string): string {
  return path.includes('%') ? path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))) : path;
}

const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Apache's escaping of logged request data: `"` -> \", `\` -> \\, controls -> \xHH (\uHHHH above 0xff). */
export function escape(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (c === '"' || c === '\\') out += `\\${c}`;
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16)}`;
    else out += c;
  }
  return out;
}

function decimalSeconds(us: number): string {
  const whole = Math.round(us);
  return `${Math.floor(whole / 1e6)}.${String(whole % 1e6).padStart(6, '0')}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
let cachedSecond = -1;
let cachedTime = '';

/** `[01/Dec/2026:09:54:01 +0000]` in local time, as gunicorn (Apache %t); cached per second. */
export function clfTime(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second === cachedSecond) return cachedTime;
  const d = new Date(second * 1000);
  const offset = -d.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const two = (n: number): string => String(n).padStart(2, '0');
  cachedTime = `[${two(d.getDate())}/${MONTHS[d.getMonth()] ?? ''}/${d.getFullYear()}:${two(d.getHours())}:` +
    `${two(d.getMinutes())}:${two(d.getSeconds())} ${sign}${two(Math.floor(abs / 60))}${two(abs % 60)}]`;
  cachedSecond = second;
  return cachedTime;
}
