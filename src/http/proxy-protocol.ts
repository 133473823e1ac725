// The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2):
// what a load balancer sends first on a connection to say who the client is.
// Pure: bytes in, one of { needMore | header | error } out. The version is
// told by the first bytes (the v1 text `PROXY ` or the v2 12-byte
// signature), never guessed from a missing header.
import { isIPv4, isIPv6 } from 'node:net';

/** Version 2 signature: \r\n\r\n\0\r\nQUIT\n. */
export const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** proxy-protocol.txt 2.1: a v1 line is at most 107 bytes with its CRLF. */
const V1_MAX = 107;
/**
 * Longest v2 address + TLV block we accept. The spec allows 65535; real
 * senders (HAProxy with SSL, unique-id and authority TLVs) stay far below.
 */
const V2_MAX_PAYLOAD = 4096;

const PP2_TYPE_SSL = 0x20;
const PP2_CLIENT_SSL = 0x01;

export interface ProxyHeader {
  readonly version: 1 | 2;
  /**
   * The client as the proxy saw it; null when the header says to use the
   * connection's own endpoints (v2 LOCAL, v1 UNKNOWN, v2 UNSPEC or UNIX).
   */
  readonly source: { readonly address: string; readonly port: number } | null;
  /** v2 PP2_TYPE_SSL with PP2_CLIENT_SSL: the client reached the proxy over TLS. */
  readonly ssl: boolean;
  /** Bytes the header took; what follows is the client's own stream. */
  readonly length: number;
}

export type ProxyParse =
  | { readonly kind: 'needMore' }
  | { readonly kind: 'header'; readonly header: ProxyHeader }
  | { readonly kind: 'error'; readonly reason: string };

const NEED_MORE: ProxyParse = { kind: 'needMore' };
const error = (reason: string): ProxyParse => ({ kind: 'error', reason });

/**
 * Whether `data` could still be the start of a PROXY header (false as soon as
 * a byte rules both versions out). Used for peers not allowed to send one:
 * a connection that starts like a header is refused, others are served.
 */
export function mayBeProxyHeader(data: Buffer): boolean {
  return startsLike(data, V1_PREFIX) || startsLike(data, V2_SIGNATURE);
}

function startsLike(data: Buffer, prefix: Buffer): boolean {
  const n = Math.min(data.length, prefix.length);
  return data.subarray(0, n).equals(prefix.subarray(0, n));
}

/** Parses the header at the start of `data` (which holds everything received so far). */
export function parseProxyHeader(data: Buffer): ProxyParse {
  if (data.length === 0) return NEED_MORE;
  if (startsLike(data, V2_SIGNATURE)) return data.length < 16 ? NEED_MORE : parseV2(data);
  if (startsLike(data, V1_PREFIX)) return data.length < V1_PREFIX.length ? NEED_MORE : parseV1(data);
  return error('no PROXY protocol header');
}

function parseV1(data: Buffer): ProxyParse {
  const end = data.indexOf('\r\n', 0, 'latin1');
  if (end < 0 || end + 2 > V1_MAX) return data.length >= V1_MAX ? error('v1 line longer than 107 bytes') : NEED_MORE;
  const line = data.toString('latin1', 0, end);
  const parts = line.split(' ');
  const proto = parts[1];
  if (proto === 'UNKNOWN') return header(1, null, false, end + 2); // 2.1: the rest of the line is ignored
  if (parts.length !== 6 || (proto !== 'TCP4' && proto !== 'TCP6')) return error('malformed v1 line');
  const [, , src = '', dst = '', sport = '', dport = ''] = parts;
  const family = proto === 'TCP4' ? 4 : 6;
  if (!isAddress(src, family) || !isAddress(dst, family)) return error('bad v1 address');
  const source = port(sport);
  if (source === null || port(dport) === null) return error('bad v1 port');
  return header(1, { address: src, port: source }, false, end + 2);
}

/** 2.1: ports are decimal 0..65535 without leading zeros. */
function port(text: string): number | null {
  return /^(0|[1-9]\d{0,4})$/.test(text) && Number(text) <= 65535 ? Number(text) : null;
}

function isAddress(text: string, family: 4 | 6): boolean {
  return family === 4 ? isIPv4(text) : isIPv6(text) && !text.includes('%');
}

function parseV2(data: Buffer): ProxyParse {
  const verCmd = data[12] ?? 0;
  const famProto = data[13] ?? 0;
  const length = data.readUInt16BE(14);
  if (verCmd >> 4 !== 2) return error(`v2 version ${verCmd >> 4}`);
  const command = verCmd & 0x0f;
  if (command > 1) return error(`v2 unknown command ${command}`);
  if (length > V2_MAX_PAYLOAD) return error(`v2 header of ${length} bytes`);
  const family = famProto >> 4;
  const transport = famProto & 0x0f;
  if (family > 3 || transport > 2) return error(`v2 unknown family/protocol 0x${famProto.toString(16).padStart(2, '0')}`);
  // The address block must fit in the declared length, whatever the command.
  const addressBytes = [0, 12, 36, 216][family] ?? 0;
  if (length < addressBytes) return error(`v2 length ${length} too short for its address family`);
  if (data.length < 16 + length) return NEED_MORE;
  const total = 16 + length;
  // 2.2: LOCAL (health checks, the proxy's own connections): use the real endpoints.
  if (command === 0) return header(2, null, false, total);
  if (family === 0 || family === 3) return header(2, null, false, total); // UNSPEC, UNIX: no IP to report
  if (transport !== 1) return error('v2 datagram transport on a stream connection');
  const body = data.subarray(16, total);
  let source: { address: string; port: number };
  if (family === 1) {
    source = { address: `${body[0]}.${body[1]}.${body[2]}.${body[3]}`, port: body.readUInt16BE(8) };
  } else {
    const words: string[] = [];
    for (let i = 0; i < 16; i += 2) words.push(body.readUInt16BE(i).toString(16));
    // An IPv4-mapped client reads as Node writes a dual-stack peer: ::ffff:a.b.c.d.
    const mapped = words.slice(0, 5).every((w) => w === '0') && words[5] === 'ffff';
    const address = mapped ? `::ffff:${body[12]}.${body[13]}.${body[14]}.${body[15]}` : compressV6(words);
    source = { address, port: body.readUInt16BE(32) };
  }
  const tlvs = readTlvs(body.subarray(addressBytes));
  if (tlvs === null) return error('v2 malformed TLV');
  return header(2, source, tlvs.ssl, total);
}

/** The TLV vector after the addresses; null when a TLV overruns the header. */
function readTlvs(block: Buffer): { ssl: boolean } | null {
  let ssl = false;
  for (let i = 0; i < block.length; ) {
    if (i + 3 > block.length) return null;
    const type = block[i] ?? 0;
    const len = block.readUInt16BE(i + 1);
    if (i + 3 + len > block.length) return null;
    // 2.2.5: PP2_TYPE_SSL starts with the client bit field (1 byte) and verify (4 bytes).
    if (type === PP2_TYPE_SSL && len >= 5 && ((block[i + 3] ?? 0) & PP2_CLIENT_SSL) !== 0) ssl = true;
    i += 3 + len;
  }
  return { ssl };
}

/** RFC 5952 text form of eight 16-bit words (hex, lower case). */
function compressV6(words: string[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  if (bestStart < 0) return words.join(':');
  return `${words.slice(0, bestStart).join(':')}::${words.slice(bestStart + bestLen).join(':')}`;
}

function header(version: 1 | 2, source: ProxyHeader['source'], ssl: boolean, length: number): ProxyParse {
  return { kind: 'header', header: { version, source, ssl, length } };
}
