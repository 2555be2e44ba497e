// Node's hello world over HTTPS (node:https), for bench/https.sh's idle-connection memory.
//   node bench/node/https_hello.js PORT CERT KEY [KEEP_ALIVE_TIMEOUT_MS]
'use strict';
const https = require('node:https');
const fs = require('node:fs');

const port = Number(process.argv[2] || 3443);
const options = { cert: fs.readFileSync(process.argv[3]), key: fs.readFileSync(process.argv[4]) };
const server = https.createServer(options, (req, res) => {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/plain');
  res.end('Hello World\n');
});
server.keepAliveTimeout = Number(process.argv[5] || 600000);
server.listen(port, '127.0.0.1', 4096, () => {
  console.log(`Server running at https://127.0.0.1:${port}/`);
});
