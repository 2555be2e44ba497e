// Node's hello world (nodejs.org "Introduction to Node.js"), port and keep-alive from argv.
//   node bench/node/hello.js PORT [KEEP_ALIVE_TIMEOUT_MS] [BACKLOG]
'use strict';
const http = require('node:http');

const hostname = '127.0.0.1';
const port = Number(process.argv[2] || 3000);
const keepAliveTimeout = process.argv[3] !== undefined ? Number(process.argv[3]) : 5000;
const backlog = Number(process.argv[4] || 511);

const server = http.createServer((req, res) => {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/plain');
  res.end('Hello World\n');
});
server.keepAliveTimeout = keepAliveTimeout;

server.listen(port, hostname, backlog, () => {
  console.log(`Server running at http://${hostname}:${port}/`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
