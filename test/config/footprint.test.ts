// A process loads no more code than it runs (issue 13, memory): a worker
// without TLS or HTTP/2 never loads node:tls or node:http2, a server configured without a config
// file never loads the YAML library, and a supervisor without an admin
// endpoint never loads node:http. Each check runs in a fresh Node process
// so that nothing this test runner loaded counts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

const DIST_SRC = path.join(__dirname, '..', '..', 'src');

/** Runs `body` as a CommonJS script in a fresh node and returns what it printed as JSON. */
function inFreshNode(body: string): unknown {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-footprint-'));
  try {
    const script = path.join(dir, 'probe.js');
    fs.writeFileSync(script, `const src = ${JSON.stringify(DIST_SRC)};\n${body}\n`);
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout) as unknown;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a worker loads node:tls and node:http2 only when it serves TLS or HTTP/2', () => {
  const loaded = inFreshNode(`
    require(src + '/worker/worker.js');
    const before = process.moduleLoadList.some((m) => m === 'NativeModule tls' || m === 'NativeModule http2');
    // What createServer does for --tls-cert/--tls-key: then it is loaded.
    require('node:tls');
    console.log(JSON.stringify({ before, after: process.moduleLoadList.some((m) => m === 'NativeModule tls') }));
  `);
  assert.deepEqual(loaded, { before: false, after: true });
});

test('the supervisor loads the YAML library only to read a config file (or for --help, --print-config), and neither node:tls nor node:http2 without TLS or --http2', () => {
  const loaded = inFreshNode(`
    const { resolveInvocation } = require(src + '/cli/invocation.js');
    const yamlLoaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/yaml/'));
    const fs = require('node:fs'), os = require('node:os'), path = require('node:path');
    const out = {};
    resolveInvocation(['--python', process.execPath, 'hello:app'], {});
    out.flags = yamlLoaded();
    out.tlsOrHttp2 = process.moduleLoadList.filter((m) => m === 'NativeModule tls' || m === 'NativeModule http2');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-footprint-')), 'c.yaml');
    fs.writeFileSync(file, 'wsgi:\\n  port: 8123\\n');
    const withFile = resolveInvocation(['--python', process.execPath, '--config', file, 'hello:app'], {});
    out.file = yamlLoaded();
    out.port = withFile.config ? withFile.config.port : withFile;
    console.log(JSON.stringify(out));
  `);
  assert.deepEqual(loaded, { flags: false, tlsOrHttp2: [], file: true, port: 8123 });
});

test('the supervisor loads node:http only for the admin endpoint (--metrics-bind)', () => {
  const loaded = inFreshNode(`
    require(src + '/supervisor/supervisor.js');
    const http = () => process.moduleLoadList.some((m) => m === 'NativeModule http');
    const before = http();
    const { AdminServer } = require(src + '/supervisor/admin-server.js');
    new AdminServer({ collect: async () => [], book: {}, slowRequestMs: 0 });
    console.log(JSON.stringify({ before, after: http() }));
  `);
  assert.deepEqual(loaded, { before: false, after: true });
});
