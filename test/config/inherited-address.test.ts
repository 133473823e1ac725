// What --check-config says an inherited socket is bound to
// (src/cli/inherited-address.ts): the /proc/net/tcp{,6} line of its inode.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as os from 'node:os';
import * as fs from 'node:fs';
import { tcpAddressOf } from '../../src/cli/inherited-address';

const HEAD = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

test('IPv4 and IPv6 local addresses, words in the host byte order', () => {
  const v4 = `${HEAD}   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n`;
  assert.equal(tcpAddressOf(v4, '4242', 'LE'), '127.0.0.1:8080');
  assert.equal(tcpAddressOf(v4, '4243', 'LE'), '');
  assert.equal(tcpAddressOf(v4.replace('0100007F', '7F000001'), '4242', 'BE'), '127.0.0.1:8080');
  const v6 = `${HEAD}   0: 00000000000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1\n`;
  assert.equal(tcpAddressOf(v6, '77', 'LE'), '[::1]:443');
});

test('a real listening socket of this process is found by its inode', async (t) => {
  if (!fs.existsSync('/proc/net/tcp')) return t.skip('no /proc/net/tcp (not Linux)');
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as net.AddressInfo).port;
    const table = fs.readFileSync('/proc/net/tcp', 'utf8');
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const line = table.split('\n').find((l) => l.includes(`:${hexPort} 00000000:0000 0A`));
    assert.ok(line !== undefined, `port ${port} in /proc/net/tcp`);
    const inode = line.trim().split(/\s+/)[9] as string;
    assert.equal(tcpAddressOf(table, inode, os.endianness()), `127.0.0.1:${port}`);
  } finally {
    server.close();
  }
});
