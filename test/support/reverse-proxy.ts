// Runs the real nginx and HAProxy from Debian in front of a test server:
// a config rendered from examples/deploy/*.template into a temp directory,
// random loopback ports, started in the foreground and stopped by pid.
// A missing binary fails the test with the package to install: never a skip.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoPath } from './repo';

/** The absolute path of `name` on PATH (plus the sbin directories), or an Error naming the Debian package. */
export function requireBinary(name: string, debianPackage: string): string {
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`${name} is not installed: this test runs the real ${name} (apt-get install ${debianPackage})`);
}

/** A port free on 127.0.0.1 right now (the kernel picks it; the caller binds it soon after). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A temp directory others can traverse (nginx workers run as nobody when started by root). */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** Renders examples/deploy/`template` with @NAME@ placeholders into `dir`; every placeholder must be given. */
export function renderTemplate(template: string, dir: string, vars: Readonly<Record<string, string>>): string {
  let text = fs.readFileSync(repoPath('examples', 'deploy', template), 'utf8');
  text = text.replace(/@([A-Z_]+)@/g, (whole, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`${template}: no value for ${whole}`);
    return value;
  });
  const out = path.join(dir, template.replace(/\.template$/, ''));
  fs.writeFileSync(out, text);
  return out;
}

export interface RunningProxy {
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Starts `binary args` and resolves once `port` accepts connections (bounded), else rejects with its output. */
export async function startProxy(binary: string, args: readonly string[], port: number, timeoutMs = 10_000): Promise<RunningProxy> {
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${path.basename(binary)} exited with ${child.exitCode}:\n${output}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) return { output: () => output, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${path.basename(binary)} did not listen on ${port} within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
