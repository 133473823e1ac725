// Soak test: N minutes of mixed well-formed and hostile traffic against one
// server (-p 2 -t 2, test/apps/soak_app.py). Not part of `npm test`.
//
//   npx tsc -p tsconfig.json && node dist/test/soak/soak.js --minutes 10
//
// Every well-formed response is checked byte for byte; the server tree's RSS
// and its set of pids are sampled every few seconds. Exit status 1 on any
// failed well-formed request, any process restarted, or RSS growth over
// 50 MB (peak after warm-up minus RSS after warm-up). See docs/soak.md.
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import { Client, startServer, type RawResponse, type RunningServer } from '../support/server';
import { MiB, openFds, processTree, rssOf, sleep, treeRss } from '../server/live-helpers';

// ---- options ------------------------------------------------------------------

interface Options {
  minutes: number;
  clients: number;
  hostile: number;
  sampleSeconds: number;
  warmupSeconds: number;
  maxGrowthMb: number;
}

function parseOptions(argv: readonly string[]): Options {
  const o: Options = { minutes: 10, clients: 4, hostile: 2, sampleSeconds: 5, warmupSeconds: 60, maxGrowthMb: 50 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = Number(argv[i + 1]);
    const take = (): number => {
      if (!Number.isFinite(value) || value < 0) throw new Error(`${flag} needs a number`);
      i++;
      return value;
    };
    if (flag === '--minutes') o.minutes = take();
    else if (flag === '--clients') o.clients = take();
    else if (flag === '--hostile') o.hostile = take();
    else if (flag === '--sample-seconds') o.sampleSeconds = take();
    else if (flag === '--warmup-seconds') o.warmupSeconds = take();
    else if (flag === '--max-growth-mb') o.maxGrowthMb = take();
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(
        'usage: node dist/test/soak/soak.js [--minutes 10] [--clients 4] [--hostile 2] [--sample-seconds 5] [--warmup-seconds 60] [--max-growth-mb 50]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${flag}`);
  }
  return o;
}

// ---- bookkeeping --------------------------------------------------------------

class Tally {
  ok = 0;
  failed = 0;
  readonly byKind = new Map<string, { ok: number; failed: number }>();
  readonly failures: string[] = [];
  readonly latencies: number[] = [];

  record(kind: string, ok: boolean, detail = '', ms = 0): void {
    const k = this.byKind.get(kind) ?? { ok: 0, failed: 0 };
    this.byKind.set(kind, k);
    if (ok) {
      this.ok++;
      k.ok++;
      if (this.latencies.length < 200_000) this.latencies.push(ms);
    } else {
      this.failed++;
      k.failed++;
      if (this.failures.length < 50) this.failures.push(`${new Date().toISOString()} ${kind}: ${detail}`);
      if (this.failures.length <= 10) process.stdout.write(`FAILED ${kind}: ${detail}\n`);
    }
  }

  percentile(p: number): number {
    if (this.latencies.length === 0) return 0;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  }
}

const wellFormed = new Tally();
const hostile = new Map<string, Map<string, number>>();

function hostileOutcome(kind: string, outcome: string): void {
  const m = hostile.get(kind) ?? new Map<string, number>();
  hostile.set(kind, m);
  m.set(outcome, (m.get(outcome) ?? 0) + 1);
}

// ---- expected bodies ----------------------------------------------------------

const HELLO = Buffer.from('Hello, World!');

function streamBody(n: number, seed: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(Buffer.from(`${seed}:${i}:`, 'latin1'), Buffer.alloc((seed * 31 + i * 97) % 5000, 97 + (i % 26)));
  }
  return Buffer.concat(parts);
}

function chunkedEncode(body: Buffer, rnd: () => number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; ) {
    const size = Math.min(body.length - i, 1 + Math.floor(rnd() * 20_000));
    parts.push(Buffer.from(size.toString(16) + '\r\n', 'latin1'), body.subarray(i, i + size), Buffer.from('\r\n', 'latin1'));
    i += size;
  }
  parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return Buffer.concat(parts);
}

// ---- well-formed traffic ------------------------------------------------------

interface Planned {
  readonly kind: string;
  readonly raw: Buffer;
  readonly status: number;
  readonly body: Buffer;
  /** The framing the response must use. */
  readonly framing: 'length' | 'chunked';
}

function plan(rnd: () => number): Planned {
  const pick = rnd();
  if (pick < 0.3) {
    return { kind: 'GET /hello', raw: Buffer.from('GET /hello HTTP/1.1\r\nHost: soak\r\n\r\n'), status: 200, body: HELLO, framing: 'length' };
  }
  if (pick < 0.55) {
    const body = crypto.randomBytes(Math.floor(rnd() * 200_000));
    const head = `POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`;
    return { kind: 'POST /echo', raw: Buffer.concat([Buffer.from(head), body]), status: 200, body, framing: 'length' };
  }
  if (pick < 0.75) {
    const body = crypto.randomBytes(1 + Math.floor(rnd() * 300_000));
    const head = 'POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n';
    return { kind: 'POST /echo chunked', raw: Buffer.concat([Buffer.from(head), chunkedEncode(body, rnd)]), status: 200, body, framing: 'length' };
  }
  const n = 1 + Math.floor(rnd() * 40);
  const seed = Math.floor(rnd() * 1_000_000);
  return {
    kind: 'GET /stream',
    raw: Buffer.from(`GET /stream?n=${n}&seed=${seed} HTTP/1.1\r\nHost: soak\r\n\r\n`),
    status: 200,
    body: streamBody(n, seed),
    framing: 'chunked',
  };
}

function verify(p: Planned, r: RawResponse): string {
  if (r.status !== p.status) return `status ${r.status}, body ${JSON.stringify(r.body.toString('latin1').slice(0, 100))}`;
  if (!r.body.equals(p.body)) return `body differs: ${r.body.length} bytes, expected ${p.body.length}`;
  if (p.framing === 'length' && r.header('content-length') !== String(p.body.length)) return `Content-Length ${r.header('content-length')}`;
  if (p.framing === 'chunked' && r.header('transfer-encoding') !== 'chunked') return `Transfer-Encoding ${r.header('transfer-encoding')}`;
  if (r.header('date') === undefined || r.header('server') !== 'yimmo-wsgi') return 'Date or Server missing';
  return '';
}

async function wellFormedClient(port: number, running: () => boolean, rnd: () => number): Promise<void> {
  while (running()) {
    // A keep-alive connection for 1..20 requests, sometimes pipelining two.
    const requests = rnd() < 0.4 ? 1 : 1 + Math.floor(rnd() * 20);
    let client: Client;
    try {
      client = await Client.connect(port);
    } catch (err) {
      wellFormed.record('connect', false, (err as Error).message);
      await sleep(100);
      continue;
    }
    try {
      for (let i = 0; i < requests && running(); i++) {
        const batch = rnd() < 0.15 ? [plan(rnd), plan(rnd)] : [plan(rnd)];
        const started = Date.now();
        client.write(Buffer.concat(batch.map((p) => p.raw)));
        for (const p of batch) {
          let problem: string;
          try {
            problem = verify(p, await client.response({ timeoutMs: 30_000 }));
          } catch (err) {
            problem = (err as Error).message.slice(0, 300);
          }
          wellFormed.record(batch.length > 1 ? p.kind + ' (pipelined)' : p.kind, problem === '', problem, Date.now() - started);
          if (problem !== '') throw new Error('connection abandoned');
        }
      }
    } catch {
      // recorded above
    } finally {
      client.close();
    }
  }
}

// ---- hostile traffic ----------------------------------------------------------

/** Connects, runs `act`, and reports how the server ended it. */
function rawConnection(port: number, act: (socket: net.Socket, received: () => string) => void, maxMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let settled = false;
    const done = (how: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const status = /^HTTP\/1\.1 (\d{3})/.exec(data)?.[1];
      resolve(status !== undefined ? `${status} then ${how}` : how);
    };
    const timer = setTimeout(() => done('still open (client gave up)'), maxMs);
    socket.on('data', (d: Buffer) => {
      if (data.length < 4096) data += d.toString('latin1', 0, Math.min(d.length, 4096));
    });
    socket.on('connect', () => act(socket, () => data));
    socket.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? 'error'));
    socket.on('end', () => done('closed'));
    socket.on('close', () => done('closed'));
    (socket as net.Socket & { soakDone?: (how: string) => void }).soakDone = done;
  });
}

const finishRaw = (socket: net.Socket, how: string): void => (socket as net.Socket & { soakDone?: (how: string) => void }).soakDone?.(how);

const HOSTILE: Record<string, (port: number, rnd: () => number) => Promise<string>> = {
  slowloris: (port) =>
    rawConnection(
      port,
      (socket) => {
        socket.write('GET /hello HTTP/1.1\r\nHost: soak\r\n');
        const drip = setInterval(() => (socket.writable ? socket.write('X-Drip-' + Math.floor(Math.random() * 10) + ': y\r\n') : clearInterval(drip)), 500);
        socket.on('close', () => clearInterval(drip));
      },
      15_000,
    ),
  garbage: (port, rnd) =>
    rawConnection(
      port,
      (socket) => {
        socket.write(crypto.randomBytes(1 + Math.floor(rnd() * 8192)));
      },
      5000,
    ),
  'mid-request disconnect': (port, rnd) =>
    rawConnection(
      port,
      (socket) => {
        socket.write(`POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Length: 500000\r\n\r\n`);
        socket.write(crypto.randomBytes(Math.floor(rnd() * 200_000)));
        setTimeout(() => (rnd() < 0.5 ? socket.resetAndDestroy() : socket.end()), Math.floor(rnd() * 300));
        setTimeout(() => finishRaw(socket, 'client left mid-request'), 400);
      },
      5000,
    ),
  'mid-response disconnect': (port, rnd) =>
    rawConnection(
      port,
      (socket, received) => {
        const pick = rnd();
        const path = pick < 0.33 ? '/download?mb=8' : pick < 0.67 ? '/whole?mb=8' : '/stream?n=400&seed=7';
        socket.write(`GET ${path} HTTP/1.1\r\nHost: soak\r\n\r\n`);
        const check = setInterval(() => {
          if (received().length > 0) {
            clearInterval(check);
            if (rnd() < 0.5) socket.resetAndDestroy();
            else socket.destroy();
            finishRaw(socket, 'client left mid-response');
          }
        }, 5);
        socket.on('close', () => clearInterval(check));
      },
      5000,
    ),
  'disconnect while the app works': (port) =>
    rawConnection(
      port,
      (socket) => {
        socket.write('GET /slow?ms=300 HTTP/1.1\r\nHost: soak\r\n\r\n');
        setTimeout(() => {
          socket.destroy();
          finishRaw(socket, 'client left while the app worked');
        }, 50);
      },
      5000,
    ),
  'oversize headers': (port) =>
    rawConnection(
      port,
      (socket) => {
        socket.write(`GET /hello HTTP/1.1\r\nHost: soak\r\nX-Huge: ${'h'.repeat(70_000)}\r\n\r\n`);
      },
      5000,
    ),
};

async function hostileClient(port: number, running: () => boolean, rnd: () => number): Promise<void> {
  const kinds = Object.keys(HOSTILE);
  while (running()) {
    const kind = kinds[Math.floor(rnd() * kinds.length)] as string;
    // Slowloris connections run in the background: a few at a time.
    const run = (HOSTILE[kind] as (port: number, rnd: () => number) => Promise<string>)(port, rnd).then((outcome) => hostileOutcome(kind, outcome));
    if (kind !== 'slowloris') await run;
    await sleep(20 + Math.floor(rnd() * 100));
  }
}

// ---- monitoring ---------------------------------------------------------------

interface Sample {
  readonly t: number;
  readonly rss: number;
  readonly pids: readonly number[];
}

const mb = (bytes: number): string => (bytes / MiB).toFixed(1);

function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  const durationMs = o.minutes * 60_000;
  const started = new Date();
  process.stdout.write(`soak: ${o.minutes} min, ${o.clients} well-formed clients, ${o.hostile} hostile clients, server -p 2 -t 2 soak_app:app\n`);
  const server: RunningServer = await startServer('soak_app:app', { args: ['-p', '2', '-t', '2'] });
  const root = server.child.pid as number;
  const initialPids = processTree(root).sort((a, b) => a - b);
  process.stdout.write(`server on port ${server.port}, pids ${initialPids.join(' ')}\n`);
  const fdsAtStart = new Map(initialPids.map((pid) => [pid, openFds(pid)]));
  if (initialPids.length !== 5) process.stdout.write(`WARNING: expected 5 processes (supervisor, 2 workers, 2 hosts), found ${initialPids.length}\n`);

  const samples: Sample[] = [];
  const t0 = Date.now();
  // The server must outlive the run: if it exits (crash, or a signal from
  // outside), stop the load at once and say so instead of counting refusals.
  let serverGone = '';
  let stopLoad: () => void = () => undefined;
  const loadStopped = new Promise<void>((resolve) => (stopLoad = resolve));
  let stopping = false; // set once we stop the server ourselves, after the run
  const gone = (why: string): void => {
    if (serverGone !== '' || stopping) return;
    serverGone = `${why} at t=${((Date.now() - t0) / 1000).toFixed(0)}s`;
    process.stdout.write(`ERROR: ${serverGone}\n`);
    stopLoad();
  };
  server.child.once('exit', (code, signal) => gone(`server exited (${signal ?? `status ${code}`})`));
  // A stop signal from outside (not from us: we only stop it after the run).
  const watchSignals = setInterval(() => {
    const m = /NOTICE (SIGTERM|SIGINT)/.exec(server.output());
    if (m !== null) gone(`server received ${m[1]} from outside the soak`);
  }, 200);
  const takeSample = (): Sample => {
    const s = { t: Date.now() - t0, rss: treeRss(root), pids: processTree(root).sort((a, b) => a - b) };
    samples.push(s);
    return s;
  };
  const first = takeSample();
  const until = t0 + durationMs;
  const warmupEnd = t0 + Math.min(o.warmupSeconds * 1000, durationMs / 2);
  let warm: Sample | undefined;
  const monitor = setInterval(() => {
    const s = takeSample();
    if (warm === undefined && Date.now() >= warmupEnd) warm = s;
    process.stdout.write(
      `t=${(s.t / 1000).toFixed(0)}s rss=${mb(s.rss)} MiB [${s.pids.map((p) => mb(rssOf(p))).join(' ')}] pids=${s.pids.length} ok=${wellFormed.ok} failed=${wellFormed.failed}` +
        ` hostile=${[...hostile.values()].reduce((n, m) => n + [...m.values()].reduce((a, b) => a + b, 0), 0)}\n`,
    );
  }, o.sampleSeconds * 1000);

  const running = (): boolean => serverGone === '' && Date.now() < until;
  const rnd = prng(0x50a4 ^ Date.now());
  const load = Promise.all([
    ...Array.from({ length: o.clients }, (_, i) => wellFormedClient(server.port, running, prng(1000 + i + Math.floor(rnd() * 1e6)))),
    ...Array.from({ length: o.hostile }, (_, i) => hostileClient(server.port, running, prng(2000 + i + Math.floor(rnd() * 1e6)))),
  ]);
  await Promise.race([load, loadStopped]);
  clearInterval(monitor);
  clearInterval(watchSignals);
  await sleep(1000); // let the last hostile connections end
  const last = takeSample();
  // Every connection is over: each process is back to the descriptors it
  // started with. A hostile connection may still wait out its header
  // timeout (10 s) and a lingering close (2 s); a host's copy of a client
  // socket goes with the connection.
  const leakedFds = (): string[] =>
    initialPids.filter((pid) => openFds(pid) > (fdsAtStart.get(pid) ?? 0) + 2).map((pid) => `${pid}: ${fdsAtStart.get(pid)} -> ${openFds(pid)}`);
  let leaks = leakedFds();
  for (let i = 0; i < 60 && leaks.length > 0; i++) {
    await sleep(250);
    leaks = leakedFds();
  }
  const fdsAtEnd = initialPids.map((pid) => `${fdsAtStart.get(pid)}/${openFds(pid)}`).join(' ');
  const base = warm ?? first;
  const peakAfterWarmup = Math.max(...samples.filter((s) => s.t >= base.t).map((s) => s.rss));
  const peak = Math.max(...samples.map((s) => s.rss));
  const allPids = new Set(samples.flatMap((s) => s.pids));
  const restarted = [...allPids].filter((p) => !initialPids.includes(p));
  const vanished = initialPids.filter((p) => !last.pids.includes(p));
  stopping = true;
  const exitCode = await server.stop('SIGTERM');

  const growth = peakAfterWarmup - base.rss;
  const problems: string[] = [];
  if (serverGone !== '') problems.push(serverGone + ' before the end of the run');
  if (wellFormed.failed > 0) problems.push(`${wellFormed.failed} well-formed requests failed`);
  if (restarted.length > 0 || vanished.length > 0) problems.push(`processes restarted: new ${restarted.join(' ') || '-'}, gone ${vanished.join(' ') || '-'}`);
  if (growth > o.maxGrowthMb * MiB) problems.push(`RSS grew by ${mb(growth)} MiB (limit ${o.maxGrowthMb})`);
  if (wellFormed.ok === 0) problems.push('no request succeeded');
  if (leaks.length > 0) problems.push(`descriptors still open after the load: ${leaks.join(', ')}`);
  if (serverGone === '' && exitCode !== 0) problems.push(`server exited with ${exitCode} after SIGTERM`);

  const lines = [
    '',
    '==== soak summary ====',
    `started ${started.toISOString()}, ran ${((Date.now() - t0) / 60_000).toFixed(1)} min, node ${process.version}`,
    `well-formed requests: ok ${wellFormed.ok}, failed ${wellFormed.failed}; latency p50 ${wellFormed.percentile(50)} ms, p99 ${wellFormed.percentile(99)} ms, max ${wellFormed.percentile(100)} ms`,
    ...[...wellFormed.byKind].sort().map(([k, v]) => `  ${k}: ok ${v.ok}, failed ${v.failed}`),
    `hostile connections: ${[...hostile.values()].reduce((n, m) => n + [...m.values()].reduce((a, b) => a + b, 0), 0)}`,
    ...[...hostile].sort().map(([k, m]) => `  ${k}: ${[...m].sort((a, b) => b[1] - a[1]).map(([how, n]) => `${n} ${how}`).join(', ')}`),
    `RSS (server tree): at start ${mb(first.rss)} MiB, after ${((base.t) / 1000).toFixed(0)} s warm-up ${mb(base.rss)} MiB, end ${mb(last.rss)} MiB, peak ${mb(peak)} MiB, growth after warm-up ${mb(growth)} MiB (${samples.length} samples)`,
    `open descriptors per process, start/end: ${fdsAtEnd}`,
    `pids: ${initialPids.join(' ')}; restarted: ${restarted.length === 0 && vanished.length === 0 ? 'none' : `new ${restarted.join(' ')}, gone ${vanished.join(' ')}`}`,
    serverGone === '' ? `server exit after SIGTERM: ${exitCode}` : `server: ${serverGone}`,
    ...(wellFormed.failures.length > 0 ? ['first failures:', ...wellFormed.failures.slice(0, 20).map((f) => '  ' + f)] : []),
    problems.length === 0 ? 'RESULT: PASS' : `RESULT: FAIL (${problems.join('; ')})`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  if (problems.length > 0) process.stdout.write('---- server log (last 4000 chars) ----\n' + server.output().slice(-4000) + '\n');
  return problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`soak: ${err.stack ?? err.message}\n`);
    process.exit(2);
  },
);
