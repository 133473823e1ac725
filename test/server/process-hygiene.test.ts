// Process settings over real servers: --user/--group (as root), --umask,
// --chdir, --pythonpath, --pid-file and the process titles, each seen from
// inside the application (test/apps/process_app.py) or from /proc.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { get, makeTlsCert, request, runCli, startServer } from '../support/server';
import { children } from '../support/processes';

const ROOT = process.getuid?.() === 0;
const NEEDS_ROOT = ROOT ? false : 'switching users needs the tests to run as root (CI does)';

type Seen = Record<string, unknown>;
async function seen(port: number, query = ''): Promise<Seen> {
  const r = await request(port, get(`/${query}`));
  assert.equal(r.status, 200, r.body.toString());
  return JSON.parse(r.body.toString()) as Seen;
}

function statusIds(pid: number): { uid: number; gid: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
  return { uid: field('Uid'), gid: field('Gid') };
}

function cmdline(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[0] ?? '';
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-proc-'));
  fs.chmodSync(dir, 0o755);
  return dir;
}

for (const processes of [1, 2]) {
  test(`--user nobody with ${processes} process(es): the app and the workers run as 65534, after binding`, { skip: NEEDS_ROOT }, async () => {
    const server = await startServer('process_app:app', { args: ['--user', 'nobody', '--no-proc', String(processes)] });
    try {
      const env = await seen(server.port);
      assert.equal(env['uid'], 65534);
      assert.equal(env['euid'], 65534);
      assert.equal(env['gid'], 65534);
      assert.deepEqual(statusIds(env['ppid'] as number), { uid: 65534, gid: 65534 }); // the worker
      assert.equal(statusIds(server.child.pid ?? 0).uid, 0); // the supervisor keeps its ids
      assert.doesNotMatch(server.output(), /running the application as root/);
      // A host started later, by the unprivileged worker, runs as nobody too.
      process.kill(env['pid'] as number, 'SIGKILL');
      let again: Seen | undefined;
      for (const deadline = Date.now() + 10_000; again === undefined && Date.now() < deadline; ) {
        const r = await request(server.port, get('/'));
        if (r.status === 200) again = JSON.parse(r.body.toString()) as Seen;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.notEqual(again?.['pid'], env['pid']);
      assert.equal(again?.['uid'], 65534);
    } finally {
      await server.stop();
    }
  });
}

test('--user nobody with TLS and 2 processes: the root-only key is read before the switch', { skip: NEEDS_ROOT }, async () => {
  const { cert, key } = makeTlsCert();
  fs.chmodSync(key, 0o600);
  const server = await startServer('process_app:app', { args: ['--user', 'nobody', '--no-proc', '2', '--tls-cert', cert, '--tls-key', key] });
  try {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ port: server.port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      let out = '';
      socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
    });
    const env = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Seen;
    assert.equal(env['uid'], 65534);
    assert.equal(statusIds(env['ppid'] as number).uid, 65534);
  } finally {
    await server.stop();
  }
});

test('--group alone changes the group of the app, not its user', { skip: NEEDS_ROOT }, async () => {
  const server = await startServer('process_app:app', { args: ['--group', 'nogroup'] });
  try {
    const env = await seen(server.port);
    assert.equal(env['gid'], 65534);
    assert.equal(env['uid'], 0);
  } finally {
    await server.stop();
  }
});

test('running the application as root without --user is logged at WARNING', { skip: NEEDS_ROOT }, async () => {
  const server = await startServer('process_app:app');
  try {
    assert.equal((await seen(server.port))['uid'], 0);
    assert.match(server.output(), /WARNING running the application as root/);
  } finally {
    await server.stop();
  }
});

test('an unknown user or group, or a missing --chdir directory, is a config error (exit 2)', async () => {
  for (const [args, pattern] of [
    [['--user', 'no-such-user-yw'], /invalid --user 'no-such-user-yw' \(from command line\): is not a user of this system/],
    [['--group', 'no-such-group-yw'], /invalid --group 'no-such-group-yw' .*is not a group of this system/],
    [['--chdir', '/nonexistent/yw'], /invalid --chdir '\/nonexistent\/yw' .*is not an existing directory/],
    [['--umask', '888'], /invalid --umask '888'.*octal/],
  ] as const) {
    const r = await runCli([...args, 'process_app:app']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
  }
});

test('--umask sets the mask the application creates files with', async () => {
  const server = await startServer('process_app:app', { args: ['--umask', '027'] });
  try {
    assert.equal((await seen(server.port))['umask'], 0o027);
  } finally {
    await server.stop();
  }
});

test('--chdir moves the server and the app there, and the app module is found there', async () => {
  const dir = tempDir();
  fs.copyFileSync(path.join(__dirname, '..', '..', '..', 'test', 'apps', 'process_app.py'), path.join(dir, 'chdir_probe_app.py'));
  // No PYTHONPATH: the module is only in `dir`.
  const server = await startServer('chdir_probe_app:app', { args: ['--chdir', dir], env: { PYTHONPATH: '' } });
  try {
    const env = await seen(server.port);
    assert.equal(env['cwd'], fs.realpathSync(dir));
  } finally {
    await server.stop();
  }
});

test('--pythonpath puts its directories at the front of the app\'s sys.path', async () => {
  const a = tempDir();
  const b = tempDir();
  fs.copyFileSync(path.join(__dirname, '..', '..', '..', 'test', 'apps', 'process_app.py'), path.join(b, 'pythonpath_probe_app.py'));
  const server = await startServer('pythonpath_probe_app:app', { args: ['--pythonpath', `${a},${b}`] });
  try {
    const sysPath = (await seen(server.port))['sys_path'] as string[];
    assert.deepEqual(sysPath.slice(1, 3), [a, b]);
  } finally {
    await server.stop();
  }
});

test('--pid-file holds the supervisor pid while it runs, is removed on exit, and a live one refuses a second server', async () => {
  const dir = tempDir();
  const pidFile = path.join(dir, 'yimmo.pid');
  const server = await startServer('process_app:app', { args: ['--pid-file', pidFile] });
  try {
    assert.equal(fs.readFileSync(pidFile, 'utf8').trim(), String(server.child.pid));
    const second = await runCli(['--port', '0', '--pid-file', pidFile, 'process_app:app']);
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, new RegExp(`--pid-file '${pidFile}' names process ${server.child.pid}, which is running`));
  } finally {
    assert.equal(await server.stop(), 0);
  }
  assert.equal(fs.existsSync(pidFile), false, 'the pid file outlived the server');
});

test('a stale --pid-file (its process is gone) is replaced', async () => {
  const dir = tempDir();
  const pidFile = path.join(dir, 'stale.pid');
  // Above the largest pid Linux allows (2^22): certainly no process (a recent pid may be reused on a busy machine).
  const gone = 2 ** 22 + 1;
  fs.writeFileSync(pidFile, `${gone}\n`);
  const server = await startServer('process_app:app', { args: ['--pid-file', pidFile] });
  try {
    assert.equal(fs.readFileSync(pidFile, 'utf8').trim(), String(server.child.pid));
  } finally {
    await server.stop();
  }
});

test('process titles name the supervisor, the workers and the hosts, with the app', async () => {
  const server = await startServer('process_app:app', { args: ['--no-proc', '2'] });
  try {
    const env = await seen(server.port);
    assert.equal(cmdline(server.child.pid ?? 0), 'yimmo-wsgi: supervisor [process_app:app]');
    assert.match(env['parent_title'] as string, /^yimmo-wsgi: worker \d+ \[process_app:app\]$/);
    const n = /worker (\d+)/.exec(env['parent_title'] as string)?.[1];
    assert.equal(env['title'], `yimmo-wsgi: host ${n} [process_app:app]`);
    // Each worker has a number of its own.
    const workers = children(server.child.pid ?? 0).map(cmdline).sort();
    assert.equal(workers.length, 2);
    assert.equal(new Set(workers).size, 2, workers.join(' / '));
  } finally {
    await server.stop();
  }
});

test('--env sets variables the application sees (repeatable)', async () => {
  const server = await startServer('process_app:app', { args: ['--env', 'YW_ONE=1', '--env', 'YW_TWO=a b=c'] });
  try {
    assert.deepEqual((await seen(server.port, '?env=YW_ONE,YW_TWO'))['env'], { YW_ONE: '1', YW_TWO: 'a b=c' });
  } finally {
    await server.stop();
  }
});
