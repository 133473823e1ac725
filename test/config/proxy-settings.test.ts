// The trusted-proxy and PROXY protocol settings: address lists, the root
// path, and switches given without a value.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { run, sandbox, throwsConfig } from './helpers';
import { runCli } from '../support/server';

const box = sandbox();

test('a CIDR with a bad mask is an error naming the setting, the source and the entry', () => {
  throwsConfig(() => run(['--forwarded-allow-ips', '127.0.0.1,10.0.0.0/33', 'm:a'], box.env()), 'YW_CONFIG_INVALID',
    "invalid --forwarded-allow-ips '127.0.0.1,10.0.0.0/33' (from command line)", "'10.0.0.0/33' has a bad mask: must be 0 to 32");
  throwsConfig(() => run(['m:a'], box.env({ YIMMO_WSGI_PROXY_ALLOW_IPS: 'fd00::/200' })), 'YW_CONFIG_INVALID',
    "invalid YIMMO_WSGI_PROXY_ALLOW_IPS 'fd00::/200' (from environment)", 'must be 0 to 128');
  const file = box.file('bad-cidr.yaml', 'wsgi:\n  proxy_allow_ips: "10.0.0.1/8"\n');
  throwsConfig(() => run(['-c', file, 'm:a'], box.env()), 'YW_CONFIG_INVALID', 'wsgi.proxy_allow_ips', 'host bits set');
});

test('the server exits with 2 and one line naming --proxy-allow-ips for a bad mask', async () => {
  const r = await runCli(['--proxy-allow-ips', '10.0.0.0/99', 'hello:app']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^yimmo-wsgi: invalid --proxy-allow-ips '10\.0\.0\.0\/99' \(from command line\): .*bad mask/);
});

test('the address lists default to loopback; * and an empty list are accepted', () => {
  const c = run(['m:a'], box.env());
  assert.equal(c.forwardedAllowIps, '127.0.0.1,::1');
  assert.equal(c.proxyAllowIps, '127.0.0.1,::1');
  assert.equal(run(['--forwarded-allow-ips', '*', 'm:a'], box.env()).forwardedAllowIps, '*');
  assert.equal(run(['--forwarded-allow-ips=', 'm:a'], box.env()).forwardedAllowIps, '');
});

test('a switch given alone is on; followed by 0/1/true/false it takes that value', () => {
  const on = run(['--proxy-protocol', '--remote-addr-from-forwarded', 'm:a'], box.env());
  assert.equal(on.proxyProtocol, true);
  assert.equal(on.remoteAddrFromForwarded, true);
  assert.equal(run(['--proxy-protocol', 'm:a'], box.env()).proxyProtocol, true);
  assert.equal(run(['--proxy-protocol', '0', 'm:a'], box.env()).proxyProtocol, false);
  assert.equal(run(['--proxy-protocol=false', 'm:a'], box.env()).proxyProtocol, false);
  assert.equal(run(['m:a'], box.env()).proxyProtocol, false);
});

test('a root path must start with / and not end with /', () => {
  assert.equal(run(['--root-path', '/api/v1', 'm:a'], box.env()).rootPath, '/api/v1');
  assert.equal(run(['m:a'], box.env()).rootPath, '');
  for (const bad of ['api', '/api/', '/', '/a%20b', '/a b', '/a?b']) {
    throwsConfig(() => run(['--root-path', bad, 'm:a'], box.env()), 'YW_CONFIG_INVALID', '--root-path', 'starting with /');
  }
});

test('--env repeats; each KEY=VALUE must have a valid name; YAML takes a mapping or a list', () => {
  assert.deepEqual(run(['--env', 'A=1', '--env', 'B=two words', '--env', 'C=', 'm:a'], box.env()).env, { A: '1', B: 'two words', C: '' });
  const listFile = box.file('env-list.yaml', 'wsgi:\n  env: ["X=1", "Y=a=b"]\n');
  assert.deepEqual(run(['-c', listFile, 'm:a'], box.env()).env, { X: '1', Y: 'a=b' });
  throwsConfig(() => run(['--env', 'NOEQUALS', 'm:a'], box.env()), 'YW_CONFIG_INVALID', "invalid --env 'NOEQUALS'", 'KEY=VALUE');
  throwsConfig(() => run(['--env', '1BAD=x', 'm:a'], box.env()), 'YW_CONFIG_INVALID', "--env '1BAD=x'");
  const badFile = box.file('env-bad.yaml', 'wsgi:\n  env: {A: [1, 2]}\n');
  throwsConfig(() => run(['-c', badFile, 'm:a'], box.env()), 'YW_CONFIG_INVALID', 'wsgi.env');
});

test('an address list may be a YAML sequence', () => {
  const file = box.file('allow-list.yaml', 'wsgi:\n  forwarded_allow_ips: ["10.0.0.0/8", "::1"]\n  proxy_allow_ips: [bad/8]\n');
  throwsConfig(() => run(['-c', file, 'm:a'], box.env()), 'YW_CONFIG_INVALID', 'wsgi.proxy_allow_ips', "'bad/8' is not an IP address");
  const good = box.file('allow-list-good.yaml', 'wsgi:\n  forwarded_allow_ips: ["10.0.0.0/8", "::1"]\n');
  assert.equal(run(['-c', good, 'm:a'], box.env()).forwardedAllowIps, '10.0.0.0/8,::1');
});
