// The forwarding-field resolver (src/http/forwarded.ts): which scheme and
// client address the environ reports, given the peer and its fields.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseForwarded, resolveForwarded, type ForwardedPolicy, type Peer } from '../../src/http/forwarded';
import { AddressSet } from '../../src/net/address-set';
import { Prng } from './prng';

const PROXY: Peer = { address: '127.0.0.1', port: 40000, scheme: 'http' };
const policy = (remoteAddr = true, trusted = '127.0.0.1,10.0.0.0/8'): ForwardedPolicy => ({ trusted: AddressSet.of(trusted), remoteAddr });
const fields = (...pairs: Array<[string, string]>): string[] => pairs.flatMap(([n, v]) => [n.toLowerCase(), v]);

test('X-Forwarded-Proto, X-Forwarded-Ssl and Forwarded proto= from a trusted peer set the scheme', () => {
  assert.equal(resolveForwarded(fields(['X-Forwarded-Proto', 'https']), PROXY, policy()).scheme, 'https');
  assert.equal(resolveForwarded(fields(['X-Forwarded-Proto', 'HTTPS']), PROXY, policy()).scheme, 'https');
  assert.equal(resolveForwarded(fields(['X-Forwarded-Ssl', 'on']), PROXY, policy()).scheme, 'https');
  assert.equal(resolveForwarded(fields(['Forwarded', 'for=192.0.2.1;proto=https']), PROXY, policy()).scheme, 'https');
  const tls = { ...PROXY, scheme: 'https' as const };
  assert.equal(resolveForwarded(fields(['X-Forwarded-Proto', 'http']), tls, policy()).scheme, 'http');
});

test('the same fields from an untrusted peer change nothing', () => {
  const stranger: Peer = { address: '192.0.2.99', port: 5555, scheme: 'http' };
  const r = resolveForwarded(
    fields(['X-Forwarded-Proto', 'https'], ['X-Forwarded-For', '1.1.1.1'], ['Forwarded', 'for=1.1.1.1;proto=https']),
    stranger,
    policy(),
  );
  assert.deepEqual(r, stranger);
});

test('a Unix-socket peer (no address) is trusted', () => {
  const unix: Peer = { address: '', port: 0, scheme: 'http' };
  assert.equal(resolveForwarded(fields(['X-Forwarded-Proto', 'https']), unix, policy()).scheme, 'https');
});

test('contradicting scheme claims, or an unknown scheme, change nothing', () => {
  assert.equal(resolveForwarded(fields(['X-Forwarded-Proto', 'https'], ['X-Forwarded-Ssl', 'off']), PROXY, policy()).scheme, 'http');
  assert.equal(resolveForwarded(fields(['X-Forwarded-Proto', 'https'], ['Forwarded', 'proto=http']), PROXY, policy()).scheme, 'http');
  assert.equal(resolveForwarded(fields(['X-Forwarded-Proto', 'gopher']), PROXY, policy()).scheme, 'http');
});

test('X-Forwarded-Proto lists count from the nearest proxy (rightmost)', () => {
  assert.equal(resolveForwarded(fields(['X-Forwarded-Proto', 'http, https']), PROXY, policy()).scheme, 'https');
  assert.equal(resolveForwarded(fields(['X-Forwarded-Proto', 'https'], ['X-Forwarded-Proto', 'http']), PROXY, policy()).scheme, 'http');
});

test('REMOTE_ADDR comes from the rightmost X-Forwarded-For entry that is not a trusted proxy, only when asked', () => {
  const xff = fields(['X-Forwarded-For', '6.6.6.6, 203.0.113.7, 10.1.1.1']);
  assert.deepEqual(resolveForwarded(xff, PROXY, policy()), { address: '203.0.113.7', port: 0, scheme: 'http' });
  assert.deepEqual(resolveForwarded(xff, PROXY, policy(false)), PROXY);
  // Every entry trusted: the leftmost is the client.
  assert.equal(resolveForwarded(fields(['X-Forwarded-For', '10.0.0.5, 10.0.0.6']), PROXY, policy()).address, '10.0.0.5');
  // Split over two fields: one list.
  assert.equal(resolveForwarded(fields(['X-Forwarded-For', '203.0.113.7'], ['X-Forwarded-For', '10.1.1.1']), PROXY, policy()).address, '203.0.113.7');
  // Ports and brackets.
  assert.deepEqual(resolveForwarded(fields(['X-Forwarded-For', '203.0.113.7:4711']), PROXY, policy()), { address: '203.0.113.7', port: 4711, scheme: 'http' });
  assert.equal(resolveForwarded(fields(['X-Forwarded-For', '2001:db8::9']), PROXY, policy()).address, '2001:db8::9');
  assert.deepEqual(resolveForwarded(fields(['X-Forwarded-For', '[2001:db8::9]:80']), PROXY, policy()), { address: '2001:db8::9', port: 80, scheme: 'http' });
});

test('an X-Forwarded-For entry that is not an address, right of the client, changes nothing', () => {
  assert.deepEqual(resolveForwarded(fields(['X-Forwarded-For', '203.0.113.7, unknown']), PROXY, policy()), PROXY);
  assert.deepEqual(resolveForwarded(fields(['X-Forwarded-For', 'evil.example']), PROXY, policy()), PROXY);
});

test('Forwarded for= walks back past trusted proxies and takes that hop\'s proto', () => {
  const f = fields(['Forwarded', 'for=198.51.100.1;proto=http, for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.2;proto=http']);
  assert.deepEqual(resolveForwarded(f, PROXY, policy()), { address: '2001:db8:cafe::17', port: 4711, scheme: 'https' });
  // Obfuscated or unknown client: the address stays the peer's.
  assert.equal(resolveForwarded(fields(['Forwarded', 'for=_hidden;proto=https']), PROXY, policy()).address, '127.0.0.1');
  assert.equal(resolveForwarded(fields(['Forwarded', 'for=unknown']), PROXY, policy()).address, '127.0.0.1');
});

test('X-Forwarded-For and Forwarded naming different clients change nothing; agreeing ones apply', () => {
  const disagree = fields(['X-Forwarded-For', '203.0.113.7'], ['Forwarded', 'for=198.51.100.1']);
  assert.deepEqual(resolveForwarded(disagree, PROXY, policy()), PROXY);
  const agree = fields(['X-Forwarded-For', '203.0.113.7'], ['Forwarded', 'for=203.0.113.7;proto=https']);
  assert.deepEqual(resolveForwarded(agree, PROXY, policy()), { address: '203.0.113.7', port: 0, scheme: 'https' });
});

test('RFC 7239 syntax: quoted strings with commas and escapes, case-insensitive names; malformed is ignored', () => {
  assert.deepEqual(parseForwarded('For="[2001:db8::1]:80";PROTO=https;by=x, for=1.2.3.4'), [{ for: '[2001:db8::1]:80', proto: 'https' }, { for: '1.2.3.4' }]);
  assert.deepEqual(parseForwarded('for="a,b\\"c"'), [{ for: 'a,b"c' }]);
  for (const bad of ['for', 'for=', 'for="unterminated', 'for=1.2.3.4;for=5.6.7.8', 'for=1.2.3.4 x', 'f@r=1']) assert.equal(parseForwarded(bad), null, bad);
  // A malformed Forwarded field makes no claim.
  assert.deepEqual(resolveForwarded(fields(['Forwarded', 'for=1.2.3.4;for=5.6.7.8;proto=https']), PROXY, policy()), PROXY);
});

test('random forwarding fields never throw and only ever name an IP address as the client', () => {
  const alphabet = ['for=', 'proto=', ';', ',', '"', '\\', ' ', '[', ']', ':', '1.2.3.4', '10.0.0.1', '2001:db8::1', 'https', 'http', 'unknown', '_x', '4711', 'by=', '='];
  for (let seed = 1; seed <= 2000; seed++) {
    const rng = new Prng(seed);
    const text = (): string => Array.from({ length: 1 + rng.int(8) }, () => rng.pick(alphabet)).join('');
    const f = fields(['Forwarded', text()], ['X-Forwarded-For', text()], ['X-Forwarded-Proto', text()]);
    const r = resolveForwarded(f, PROXY, policy());
    assert.ok(r.address === PROXY.address || AddressSet.of('0.0.0.0/0,::/0').has(r.address), `seed ${seed}: ${r.address}`);
    assert.ok(r.scheme === 'http' || r.scheme === 'https');
    assert.ok(Number.isInteger(r.port) && r.port >= 0 && r.port <= 65535);
  }
});
