// undici's request over a Pool of keep-alive connections, the peer of bench/client_loop.cpp:
// N GETs of http://127.0.0.1:PORT/, C at a time, each body read to its end.
//   node client_undici.js PORT N [C]
'use strict';
const { Pool } = require('undici');
const [port, total, conc = 1] = process.argv.slice(2).map(Number);
const pool = new Pool(`http://127.0.0.1:${port}`, { connections: conc });
let remaining = total, done = 0, failed = 0, bytes = 0;
async function worker() {
    while (remaining > 0) {
        --remaining;
        try {
            const { body } = await pool.request({ path: '/', method: 'GET' });
            for await (const c of body) bytes += c.length;
            ++done;
        } catch (e) {
            ++failed;
        }
    }
}
(async () => {
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: conc }, worker));
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const u = process.cpuUsage();
    console.log(`requests=${done} failed=${failed} wall=${wall.toFixed(3)} user=${(u.user / 1e6).toFixed(3)} ` +
                `sys=${(u.system / 1e6).toFixed(3)} connections=${conc} bytes=${bytes}`);
    await pool.close();
})();
