// Starts the real server (bin/yimmo-wsgi) on a free port for integration
// tests, and talks to it over raw sockets so every byte is visible.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoPath } from './repo';

export const PYTHON = process.env['YIMMO_TEST_PYTHON'] ?? '/usr/bin/python3';

export interface RunningServer {
  readonly port: number;
  readonly child: ChildProcess;
  readonly output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartOptions {
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Runs this (e.g. an installed yimmo-wsgi) instead of the checkout's bin/yimmo-wsgi, without --python: its default interpreter is used. */
  readonly command?: readonly [string, ...string[]];
  /** Working directory (default test/apps). */
  readonly cwd?: string;
  /** `--bind` values instead of `--host 127.0.0.1 --port 0` (the resolved port is the first TCP one's, else 0). */
  readonly binds?: readonly string[];
  /** Runs `program args...` in front of the server (e.g. systemd-socket-activate -l ADDR), which then execs it. */
  readonly wrapper?: readonly string[];
}

/** Starts `yimmo-wsgi ... APP` (no APP argument when `app` is '') with fixture apps on PYTHONPATH; resolves once the banner shows the port. */
export function startServer(app: string, options: StartOptions = {}): Promise<RunningServer> {
  const [server, ...prefix] = options.command ?? [repoPath('bin', 'yimmo-wsgi'), '--python', PYTHON];
  const listen = options.binds === undefined ? ['--host', '127.0.0.1', '--port', '0'] : options.binds.flatMap((b) => ['--bind', b]);
  const [program, ...args] = [...(options.wrapper ?? []), server, ...prefix, ...listen, ...(options.args ?? []), ...(app === '' ? [] : [app])] as [string, ...string[]];
  const child = spawn(program, args, {
    cwd: options.cwd ?? repoPath('test', 'apps'),
    env: { ...process.env, PYTHONPATH: repoPath('test', 'apps'), ...(options.env ?? {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('server did not start:\n' + output));
    }, options.timeoutMs ?? 15_000);
    const poll = setInterval(() => {
      const banner = /^Serving .* on (.*) \| \d+ process/m.exec(output);
      if (banner === null) return;
      const match = /https?:\/\/[^\s,]+:(\d+)/.exec(banner[1] ?? '');
      clearInterval(poll);
      clearTimeout(timer);
      resolve({
        port: match === null ? 0 : Number(match[1]),
        child,
        output: () => output,
        stop: (signal = 'SIGTERM') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          return exited;
        },
      });
    }, 20);
    child.on('exit', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
}

/** Runs the CLI to completion (for config errors, --help): exit code and output. */
export function runCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(repoPath('bin', 'yimmo-wsgi'), args, {
      cwd: repoPath('test', 'apps'),
      env: { ...process.env, PYTHONPATH: repoPath('test', 'apps'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Array<[string, string]>;
  readonly body: Buffer;
  header(name: string): string | undefined;
}

/** A raw connection that reads whole responses off the wire (Content-Length, chunked or close). */
export class Client {
  private buffer = Buffer.alloc(0);
  private ended = false;
  private waiters: Array<() => void> = [];
  readonly socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new Client(socket)));
      socket.once('error', reject);
    });
  }

  /** A raw AF_UNIX connection to a server's Unix socket. */
  static connectUnix(socketPath: string): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ path: socketPath }, () => resolve(new Client(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private async waitFor<T>(take: () => T | undefined, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = take();
      if (value !== undefined) return value;
      if (this.ended) throw new Error('connection closed; unread: ' + JSON.stringify(this.buffer.toString('latin1')));
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out; unread: ' + JSON.stringify(this.buffer.toString('latin1').slice(0, 500)));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Resolves true once the server has closed the connection. */
  async closed(timeoutMs = 5000): Promise<boolean> {
    try {
      await this.waitFor(() => (this.ended ? true : undefined), timeoutMs);
      return true;
    } catch {
      return this.ended;
    }
  }

  async response(options: { head?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    for (;;) {
      const end = await this.waitFor(() => {
        const i = this.buffer.indexOf('\r\n\r\n');
        return i >= 0 ? i : undefined;
      }, timeoutMs);
      const lines = this.buffer.toString('latin1', 0, end).split('\r\n');
      const status = Number((lines[0] ?? '').split(' ')[1]);
      const headers = lines.slice(1).map((l): [string, string] => {
        const c = l.indexOf(':');
        return [l.slice(0, c).toLowerCase(), l.slice(c + 1).trim()];
      });
      this.buffer = this.buffer.subarray(end + 4);
      if (status >= 100 && status < 200) continue; // interim responses
      const header = (name: string): string | undefined => headers.find(([n]) => n === name)?.[1];
      let body: Buffer;
      if (options.head === true || status === 204 || status === 304) body = Buffer.alloc(0);
      else if (header('content-length') !== undefined) {
        const n = Number(header('content-length'));
        body = await this.waitFor(() => (this.buffer.length >= n ? this.take(n) : undefined), timeoutMs);
      } else if (header('transfer-encoding') === 'chunked') {
        body = await this.readChunked(timeoutMs);
      } else {
        await this.waitFor(() => (this.ended ? true : undefined), timeoutMs);
        body = this.take(this.buffer.length);
      }
      return { status, headers, body, header };
    }
  }

  private take(n: number): Buffer {
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }

  private async readChunked(timeoutMs: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (;;) {
      const line = await this.waitFor(() => {
        const i = this.buffer.indexOf('\r\n');
        return i >= 0 ? this.take(i + 2).toString('latin1', 0, i) : undefined;
      }, timeoutMs);
      const size = parseInt(line, 16);
      if (size === 0) {
        await this.waitFor(() => (this.buffer.indexOf('\r\n') >= 0 ? this.take(this.buffer.indexOf('\r\n') + 2) : undefined), timeoutMs);
        return Buffer.concat(parts);
      }
      parts.push(await this.waitFor(() => (this.buffer.length >= size + 2 ? this.take(size + 2).subarray(0, size) : undefined), timeoutMs));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** One request on a fresh connection. */
export async function request(port: number, raw: string | Buffer, options: { head?: boolean; timeoutMs?: number } = {}): Promise<RawResponse> {
  const client = await Client.connect(port);
  try {
    client.write(raw);
    return await client.response(options);
  } finally {
    client.close();
  }
}

/** A throwaway self-signed certificate and key for localhost (openssl). */
export function makeTlsCert(): { cert: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  return { cert, key };
}

export function get(path: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`;
}

/** Connects to 127.0.0.1:port, retrying while nothing listens there yet (a socket activator starting; bounded by 10 s). */
export async function connectRetry(port: number): Promise<net.Socket> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
