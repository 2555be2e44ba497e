// The admin listener's status page in headless Chromium: it loads with no console error and
// no request outside the admin listener, and its numbers follow the traffic sent to a cluster
// of 2 workers (tests/programs/ops_server.cpp).
//
//   node status_page.test.mjs SERVER_BINARY
//
// Exits 77 (skipped) when Chromium or puppeteer-core is missing (scripts/setup.sh installs both).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";

import { launchChromium } from "./chromium.mjs";

const serverBinary = process.argv[2];

function startServer() {
  const child = spawn(serverBinary, ["--cluster.workers=2", "--server.port=0", "--admin.port=0",
    "--log.access_log=false"], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  let log = "";
  const ports = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("server did not start:\n" + log)), 15000);
    const onData = (d) => {
      log += d;
      const main = /Server running at http:\/\/[^:]+:(\d+)\//.exec(log);
      const admin = /Admin listener at http:\/\/[^:]+:(\d+)\//.exec(log);
      if (main && admin && log.includes("all 2 workers are listening")) {
        clearTimeout(timer);
        resolve({ main: Number(main[1]), admin: Number(admin[1]) });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
  });
  return { child, ports, log: () => log };
}

function get(port, path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", reject);
  });
}

async function traffic(port, n) {
  for (let i = 0; i < n; i += 10) {
    await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, k) =>
      get(port, (i + k) % 5 === 0 ? "/users/" + (i + k) : "/")));
  }
}

const server = startServer();
let chromium;
let failed = false;
try {
  const { main, admin } = await server.ports;
  chromium = await launchChromium();
  const browser = chromium.browser;
  const page = await browser.newPage();
  const problems = [];
  const origin = `http://127.0.0.1:${admin}`;
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("requestfailed", (r) => problems.push("request failed: " + r.url()));
  page.on("request", (r) => {
    if (!r.url().startsWith(origin + "/")) problems.push("request outside the admin listener: " + r.url());
  });

  const res = await page.goto(origin + "/status", { waitUntil: "load" });
  assert.equal(res.status(), 200);
  assert.match(res.headers()["content-type"], /^text\/html/);
  await page.waitForFunction(() => document.getElementById("state").textContent === "ready", { timeout: 10000 });
  const count = async () => Number(await page.$eval("#total-requests", (e) => e.textContent));
  const start = await count();

  // Numbers follow the traffic: the total reaches what was sent, the rate and latency show it.
  const sent = 300;
  const load = traffic(main, sent);
  await page.waitForFunction(() => Number(document.getElementById("rps").textContent) > 0, { timeout: 10000 });
  await load;
  await page.waitForFunction((want) => Number(document.getElementById("total-requests").textContent) >= want,
    { timeout: 10000 }, start + sent);
  assert.equal(await count(), start + sent, "the page counts exactly the requests sent");
  const p50 = await page.$eval("#p50", (e) => e.textContent);
  assert.notEqual(p50, "-", "a latency percentile is shown");
  const rows = await page.$$eval("#workers tr", (trs) => trs.map((t) => [...t.children].map((c) => c.textContent)));
  assert.equal(rows.length, 2, "one row per worker");
  const perWorker = rows.reduce((s, r) => s + Number(r[3]), 0);
  assert.equal(perWorker, start + sent, "the workers' rows add up to the total");
  assert.ok(rows.every((r) => Number(r[3]) > 0), "both workers served");
  // The rate falls back to 0 once the traffic stops.
  await page.waitForFunction(() => Number(document.getElementById("rps").textContent) === 0, { timeout: 10000 });
  assert.deepEqual(problems, []);
  console.log(`ok: status page followed ${sent} requests over ${rows.length} workers`);
} catch (e) {
  failed = true;
  console.error(e);
  console.error("server log:\n" + server.log());
} finally {
  if (chromium) await chromium.close();
  try {
    process.kill(-server.child.pid, "SIGTERM");
  } catch {}
}
process.exit(failed ? 1 : 0);
