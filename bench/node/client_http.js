// Node's http.request over a keep-alive Agent, the peer of bench/client_loop.cpp: N GETs of
// http://127.0.0.1:PORT/, C at a time, each body read to its end. Prints the same line.
//   node client_http.js PORT N [C]
'use strict';
const http = require('http');
const [port, total, conc = 1] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: conc });
let remaining = total, done = 0, failed = 0, bytes = 0, running = conc;
const t0 = process.hrtime.bigint();
function next() {
    if (remaining === 0) {
        if (--running === 0) report();
        return;
    }
    --remaining;
    const req = http.request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.on('data', (c) => { bytes += c.length; });
        res.on('end', () => { ++done; next(); });
    });
    req.on('error', () => { ++failed; next(); });
    req.end();
}
function report() {
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const u = process.cpuUsage();
    console.log(`requests=${done} failed=${failed} wall=${wall.toFixed(3)} user=${(u.user / 1e6).toFixed(3)} ` +
                `sys=${(u.system / 1e6).toFixed(3)} connections=${conc} bytes=${bytes}`);
    agent.destroy();
}
for (let i = 0; i < conc; ++i) next();
