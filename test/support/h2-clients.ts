// The HTTP/2 clients the tests drive: Debian's curl, nghttp and h2load
// (nghttp2-client), and test/support/h2probe.py (python3-h2's frame and HPACK
// libraries) for frames no well-behaved client sends.
import { execFile } from 'node:child_process';
import { repoPath } from './repo';
import { PYTHON } from './server';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to completion (bounded by `timeoutMs`); never rejects. */
export function run(program: string, args: readonly string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(program, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'latin1' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof (error as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? (error as unknown as { code: number }).code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

export function curl(args: readonly string[], timeoutMs = 30_000): Promise<Run> {
  return run('curl', ['-sS', '--max-time', String(Math.ceil(timeoutMs / 1000)), ...args], timeoutMs + 5000);
}

export interface ProbeFrame {
  readonly type: string;
  readonly stream: number;
  readonly status?: string;
  readonly error?: number;
  readonly last?: number;
  readonly length?: number;
  readonly end?: boolean;
  readonly headers?: Record<string, string>;
}

export interface ProbeResult {
  /** Frames from the server but SETTINGS, WINDOW_UPDATE and PING. */
  readonly frames: readonly ProbeFrame[];
  readonly counts: Record<string, number>;
  /** The server closed the connection. */
  readonly closed: boolean;
  /** The connection still answered a PING afterwards. */
  readonly alive: boolean;
  readonly seconds: number;
  /** Response body bytes received on stream 1. */
  readonly body1: number;
  /** Frames of the scenario's flood that were sent before the server cut the connection (flood scenarios). */
  readonly sent?: number;
}

/** Runs one h2probe.py scenario against 127.0.0.1:port. */
export async function probe(port: number, scenario: string, ...args: string[]): Promise<ProbeResult> {
  const r = await run(PYTHON, [repoPath('test', 'support', 'h2probe.py'), String(port), scenario, ...args], 60_000);
  if (r.code !== 0) throw new Error(`h2probe ${scenario} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ProbeResult;
}

/** RFC 9113 7 error codes, by name, for assertions. */
export const H2_ERROR = {
  NO_ERROR: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2, FLOW_CONTROL_ERROR: 3, FRAME_SIZE_ERROR: 6, REFUSED_STREAM: 7,
  CANCEL: 8, COMPRESSION_ERROR: 9, ENHANCE_YOUR_CALM: 11,
} as const;
