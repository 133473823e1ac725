// Bare Node.js HTTP hello world (no Python, no yimmo): the `node-hello` ceiling of the
// benchmark, what Node's own http module costs per request and per connection.
'use strict';
const http = require('http');
const body = Buffer.from('Hello, World!');
http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
  res.end(body);
}).listen(Number(process.argv[2]), '127.0.0.1');
