// POST /echo: the request body streamed straight back (req.pipe(res), which pauses the
// request while the response's buffer is full) — the Node counterpart of apps/echo's /echo.
//   node bench/node/echo.js PORT
'use strict';
const http = require('node:http');

const hostname = '127.0.0.1';
const port = Number(process.argv[2] || 3000);

const server = http.createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/echo') {
    res.statusCode = 404;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', req.headers['content-type'] || 'application/octet-stream');
  req.pipe(res);
});
server.requestTimeout = 0;   // Node 18+ default is 300 s; a slow 1 GiB upload must not hit it

server.listen(port, hostname, () => console.log(`Server running at http://${hostname}:${port}/`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
