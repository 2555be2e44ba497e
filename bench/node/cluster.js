// Node's hello world under node:cluster: a primary that forks WORKERS workers, each running
// the same http.createServer as hello.js. The scheduling policy comes from the environment,
// as Node reads it: NODE_CLUSTER_SCHED_POLICY=rr (the primary accepts and hands connections
// round-robin to the workers; Node's default on Linux) or =none (the workers share the
// listening socket and the kernel decides).
//   NODE_CLUSTER_SCHED_POLICY=rr|none node bench/node/cluster.js PORT [WORKERS] [KEEP_ALIVE_MS] [BACKLOG]
'use strict';
const cluster = require('node:cluster');
const http = require('node:http');

const hostname = '127.0.0.1';
const port = Number(process.argv[2] || 3000);
const workers = Number(process.argv[3] || 2);
const keepAliveTimeout = process.argv[4] !== undefined ? Number(process.argv[4]) : 5000;
const backlog = Number(process.argv[5] || 511);

if (cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('listening', () => {
    if (++listening === workers) {
      const policy = cluster.schedulingPolicy === cluster.SCHED_RR ? 'rr' : 'none';
      console.log(`Server running at http://${hostname}:${port}/ (${workers} workers, policy ${policy})`);
    }
  });
  cluster.on('exit', (w, code, signal) => console.log(`worker ${w.process.pid} exited (${signal || code})`));
  const stop = () => {
    for (const id in cluster.workers) cluster.workers[id].process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2000).unref();
    cluster.on('exit', () => { if (Object.keys(cluster.workers).length === 0) process.exit(0); });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const server = http.createServer((req, res) => {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/plain');
    res.end('Hello World\n');
  });
  server.keepAliveTimeout = keepAliveTimeout;
  server.listen(port, hostname, backlog);
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}
