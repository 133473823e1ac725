#!/usr/bin/env node
// Per-connection latency of keep-alive requests: N connections, each sends
// `GET /` and the next one as soon as the response is complete, for SECS
// seconds; prints the overall percentiles, the connections that were served
// least (with their worst latency), the first request of each connection
// (a connection that waited in the listen backlog shows there), and the
// requests over 500 ms. For tails that wrk's histogram cannot attribute
// (bench/results/profile.md, "Issue 13, session 4").
//   node bench/conn_latency.js PORT [CONNS=50] [SECS=8]
'use strict';
const net = require('node:net');

const [port, conns = 50, secs = 8] = process.argv.slice(2).map(Number);
if (!port) {
  console.error('usage: node bench/conn_latency.js PORT [CONNS] [SECS]');
  process.exit(2);
}
const t0 = process.hrtime.bigint();
const now = () => Number(process.hrtime.bigint() - t0) / 1e6;
const results = []; // [connection, start ms, latency ms, first request]
const request = Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
let stopping = false;
const sockets = [];

for (let c = 0; c < conns; c++) {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  let pending = Buffer.alloc(0);
  let start = 0;
  let first = true;
  const send = () => {
    if (stopping) return void socket.destroy();
    start = now();
    socket.write(request);
  };
  socket.on('connect', send);
  socket.on('data', (data) => {
    pending = pending.length > 0 ? Buffer.concat([pending, data]) : data;
    for (;;) {
      const headEnd = pending.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(pending.toString('latin1', 0, headEnd));
      const total = headEnd + 4 + (length ? Number(length[1]) : 0);
      if (pending.length < total) return;
      pending = pending.subarray(total);
      results.push([c, start, now() - start, first]);
      first = false;
      send();
    }
  });
  socket.on('error', (err) => console.error(`connection ${c}: ${err.message}`));
}

setTimeout(() => {
  stopping = true;
  for (const socket of sockets) socket.destroy();
  if (results.length === 0) return console.log('no response');
  const sorted = results.map((r) => r[2]).sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1);
  console.log(`n=${sorted.length} p50=${q(0.5)} p90=${q(0.9)} p99=${q(0.99)} max=${q(1)} ms`);
  const perConnection = new Map();
  for (const [c, , latency] of results) {
    const e = perConnection.get(c) ?? { count: 0, worst: 0 };
    e.count++;
    e.worst = Math.max(e.worst, latency);
    perConnection.set(c, e);
  }
  const rows = [...perConnection].sort((a, b) => a[1].count - b[1].count);
  const show = ([c, e]) => `${c}:${e.count}/${e.worst.toFixed(0)}`;
  console.log(`requests/worst ms per connection, fewest first: ${rows.slice(0, 8).map(show).join(' ')} ... most: ${rows.slice(-4).map(show).join(' ')}`);
  const firsts = results.filter((r) => r[3]).map((r) => r[2]).sort((a, b) => a - b);
  console.log(`first request of a connection: median ${firsts[firsts.length >> 1].toFixed(0)} ms, max ${firsts[firsts.length - 1].toFixed(0)} ms`);
  const slow = results.filter((r) => r[2] > 500);
  console.log(`over 500 ms: ${slow.length} (F = a connection's first request): ` +
    slow.slice(0, 15).map((r) => `c${r[0]}@${r[1].toFixed(0)}:${r[2].toFixed(0)}${r[3] ? 'F' : ''}`).join(' '));
}, secs * 1000);
