// The address/CIDR matcher behind --forwarded-allow-ips and --proxy-allow-ips.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { AddressSet } from '../../src/net/address-set';

const set = (text: string): AddressSet => AddressSet.of(text);
const error = (text: string): string => {
  const parsed = AddressSet.parse(text);
  assert.ok('error' in parsed, `${text} should not parse`);
  return parsed.error;
};

test('single addresses match themselves only', () => {
  const s = set('127.0.0.1,::1');
  assert.ok(s.has('127.0.0.1'));
  assert.ok(s.has('::1'));
  assert.ok(!s.has('127.0.0.2'));
  assert.ok(!s.has('::2'));
});

test('an IPv4 entry matches the IPv4-mapped form a dual-stack socket reports', () => {
  assert.ok(set('127.0.0.1').has('::ffff:127.0.0.1'));
  assert.ok(set('10.0.0.0/8').has('::ffff:10.200.3.4'));
  assert.ok(!set('10.0.0.0/8').has('::ffff:11.0.0.1'));
});

test('CIDR blocks match on the mask, for IPv4 and IPv6, at byte and bit boundaries', () => {
  const s = set('10.0.0.0/8, 192.168.1.128/25, fd00::/8, 2001:db8:0:1::/64');
  for (const yes of ['10.1.2.3', '10.255.255.255', '192.168.1.128', '192.168.1.255', 'fd12:3456::1', '2001:db8:0:1:ffff::9']) assert.ok(s.has(yes), yes);
  for (const no of ['11.0.0.0', '192.168.1.127', 'fc00::1', '2001:db8:0:2::1', '::1']) assert.ok(!s.has(no), no);
});

test('/0 matches every address of its family, * matches every address', () => {
  assert.ok(set('0.0.0.0/0').has('8.8.8.8'));
  assert.ok(!set('0.0.0.0/0').has('2001:db8::1'));
  assert.ok(set('::/0').has('2001:db8::1'));
  assert.ok(set('*').has('2001:db8::1'));
  assert.ok(set('*').has('1.2.3.4'));
});

test('nothing that is not an IP address matches, even with *', () => {
  for (const s of [set('*'), set('0.0.0.0/0,::/0')]) {
    for (const text of ['', 'unknown', '_hidden', 'localhost', '1.2.3', '[::1]', '1.2.3.4:80']) assert.ok(!s.has(text), text);
  }
});

test('embedded IPv4 and compressed IPv6 forms are the same address', () => {
  const s = set('::ffff:0:0/96');
  assert.ok(s.has('1.2.3.4'));
  assert.ok(set('2001:db8::1').has('2001:0db8:0000:0000:0000:0000:0000:0001'));
  assert.ok(set('::1.2.3.4').has('::102:304'));
});

test('an empty list trusts no one', () => {
  assert.ok(!set('').has('127.0.0.1'));
});

test('a bad mask, a bad address or host bits after the mask are errors that name the entry', () => {
  assert.match(error('10.0.0.0/33'), /'10\.0\.0\.0\/33' has a bad mask: must be 0 to 32/);
  assert.match(error('::/129'), /bad mask: must be 0 to 128/);
  assert.match(error('10.0.0.0/'), /bad mask/);
  assert.match(error('10.0.0.0/-1'), /bad mask/);
  assert.match(error('10.0.0.0/8x'), /bad mask/);
  assert.match(error('127.0.0.1,300.1.1.1'), /'300\.1\.1\.1' is not an IP address/);
  assert.match(error('localhost'), /not an IP address/);
  assert.match(error('10.0.0.1/8'), /host bits set/);
  assert.match(error('127.0.0.1,,::1'), /empty entry/);
});
