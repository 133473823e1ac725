// What an inherited listening socket (systemd socket activation) is bound
// to, for --check-config, which reports the addresses without taking the
// descriptors: Node can ask a socket only by wrapping its descriptor in a
// handle (what serving does), so the socket is looked up by its inode in
// /proc/net/{tcp,tcp6,unix} (Linux), as the supervisor does for Unix paths.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { inheritedUnixPath } from '../supervisor/listen-handle';

/** "127.0.0.1:8000", "[::1]:8000", "unix:/run/app.sock", or '' when unknown (another system, a socket not found). */
export function inheritedAddress(fd: number): string {
  let inode: string;
  try {
    inode = String(fs.fstatSync(fd).ino);
  } catch {
    return '';
  }
  for (const table of ['tcp', 'tcp6'] as const) {
    const found = tcpAddressOf(readTable(`/proc/net/${table}`), inode, os.endianness());
    if (found !== '') return found;
  }
  const unix = inheritedUnixPath(fd);
  return unix === '' ? '' : `unix:${unix}`;
}

function readTable(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The local address of the socket with this inode in a /proc/net/tcp or
 * tcp6 table: `local_address` is the address in hex, 32-bit words in the
 * host's byte order, then ':' and the port in hex. Pure (for the tests).
 */
export function tcpAddressOf(table: string, inode: string, endianness: 'LE' | 'BE'): string {
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields[9] !== inode) continue;
    const [hexAddress = '', hexPort = ''] = (fields[1] ?? '').split(':');
    const port = parseInt(hexPort, 16);
    const words = hexAddress.match(/.{8}/g) ?? [];
    if (Number.isNaN(port) || (words.length !== 1 && words.length !== 4)) return '';
    const bytes = words.flatMap((word) => {
      const b = (word.match(/../g) ?? []).map((h) => parseInt(h, 16));
      return endianness === 'LE' ? b.reverse() : b;
    });
    if (words.length === 1) return `${bytes.join('.')}:${port}`;
    const groups = Array.from({ length: 8 }, (_, i) => (((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16));
    // The URL parser writes an IPv6 address in its short form ([::1], [::ffff:7f00:1]).
    return `${new URL(`http://[${groups.join(':')}]/`).hostname}:${port}`;
  }
  return '';
}
