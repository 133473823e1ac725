// A set of IP addresses given as a comma list of addresses and CIDR blocks
// (`127.0.0.1,::1,10.0.0.0/8,fd00::/8`), or `*` for every address. Used for
// the peers trusted to send X-Forwarded-* / Forwarded fields and the PROXY
// protocol. Pure: text in, a matcher out.
//
// Every address is held as 16 bytes: IPv4 as its IPv4-mapped IPv6 form
// (::ffff:a.b.c.d, RFC 4291 2.5.5.2), so `127.0.0.1` also matches the
// `::ffff:127.0.0.1` that a socket bound to `::` reports, and an IPv4 /n
// block is the IPv6 /(96+n) block.
import { isIPv4, isIPv6 } from 'node:net';

export type Membership = 'in' | 'out' | 'invalid';

interface Block {
  readonly bytes: Uint8Array;
  readonly bits: number;
}

export class AddressSet {
  private constructor(
    private readonly blocks: readonly Block[],
    readonly all: boolean,
    /** The list as given, for logs and for crossing the IPC channel. */
    readonly text: string,
  ) {}

  /** Parses a list; the reason names the bad entry. */
  static parse(text: string): { readonly set: AddressSet } | { readonly error: string } {
    const entries = text.split(',').map((e) => e.trim());
    if (entries.length === 1 && entries[0] === '') return { set: new AddressSet([], false, text) };
    const blocks: Block[] = [];
    let all = false;
    for (const entry of entries) {
      if (entry === '*') {
        all = true;
        continue;
      }
      const block = parseBlock(entry);
      if (typeof block === 'string') return { error: block };
      blocks.push(block);
    }
    return { set: new AddressSet(blocks, all, text) };
  }

  /** Parses a list known to be valid (checked by the configuration loader). */
  static of(text: string): AddressSet {
    const parsed = AddressSet.parse(text);
    if ('error' in parsed) throw new Error(`invalid address list ${JSON.stringify(text)}: ${parsed.error}`);
    return parsed.set;
  }

  /**
   * Answers for recent addresses: a request from a trusted proxy asks about
   * the same few peers again and again (about 30 ns instead of 300-700).
   * Cleared when full, so memory stays bounded whatever the clients send.
   */
  private readonly cache = new Map<string, Membership>();

  /** Whether `address` (as a socket reports it, or from a header) is in the set; false for anything that is not an IP. */
  has(address: string): boolean {
    return this.classify(address) === 'in';
  }

  /** `in` the set, `out` of it, or `invalid`: not an IP address at all. */
  classify(address: string): Membership {
    const known = this.cache.get(address);
    if (known !== undefined) return known;
    const bytes = ipBytes(address);
    const answer: Membership = bytes === null ? 'invalid' : this.all || this.blocks.some((b) => inBlock(bytes, b)) ? 'in' : 'out';
    if (this.cache.size >= 1024) this.cache.clear();
    this.cache.set(address, answer);
    return answer;
  }
}

function parseBlock(entry: string): Block | string {
  if (entry === '') return 'empty entry in the list';
  const slash = entry.indexOf('/');
  const addressText = slash < 0 ? entry : entry.slice(0, slash);
  const bytes = ipBytes(addressText);
  if (bytes === null) return `'${entry}' is not an IP address or CIDR block`;
  const v4 = isIPv4(addressText);
  const max = v4 ? 32 : 128;
  let bits = max;
  if (slash >= 0) {
    const mask = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(mask) || Number(mask) > max) return `'${entry}' has a bad mask: must be 0 to ${max}`;
    bits = Number(mask);
  }
  const total = v4 ? 96 + bits : bits;
  // A block with host bits set (10.0.0.1/8) is almost always a typo for a
  // narrower block: refuse it rather than silently widen it.
  for (let i = total; i < 128; i++) {
    if (((bytes[i >> 3] ?? 0) >> (7 - (i & 7))) & 1) return `'${entry}' has host bits set after the /${bits} mask`;
  }
  return { bytes, bits: total };
}

function inBlock(bytes: Uint8Array, block: Block): boolean {
  const whole = block.bits >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== block.bytes[i]) return false;
  const rest = block.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((bytes[whole] ?? 0) & mask) === ((block.bytes[whole] ?? 0) & mask);
}

/** 16 bytes for an IPv4 or IPv6 address (IPv4 mapped), null for anything else. A zone (`fe80::1%eth0`) is ignored. */
export function ipBytes(text: string): Uint8Array | null {
  if (!text.includes(':')) return ipv4Bytes(text);
  const zone = text.indexOf('%');
  const bare = zone < 0 ? text : text.slice(0, zone);
  if (!isIPv6(bare)) return null;
  let head = bare;
  let tail4: number[] = [];
  const lastColon = bare.lastIndexOf(':');
  if (bare.indexOf('.', lastColon) > 0) {
    tail4 = bare.slice(lastColon + 1).split('.').map(Number);
    head = bare.slice(0, lastColon + 1) + '0:0';
  }
  const [left = '', right] = head.split('::');
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const words = right === undefined ? l : [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  if (tail4.length === 4) tail4.forEach((b, i) => (out[12 + i] = b));
  return out;
}

/** Dotted-quad IPv4 (no leading zeros, as node:net's isIPv4) as IPv4-mapped bytes, by hand: the hot path. */
function ipv4Bytes(text: string): Uint8Array | null {
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i === text.length ? 46 : text.charCodeAt(i); // a '.' after the last part
    if (c === 46) {
      if (digits === 0 || part > 3) return null;
      out[12 + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && value === 0) return null; // leading zero
      value = value * 10 + (c - 48);
      if (value > 255) return null;
      digits++;
    } else {
      return null;
    }
  }
  return part === 4 ? out : null;
}
