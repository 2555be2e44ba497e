// apps/chat's page in headless Chromium: two browser pages on a cluster of 2 workers connect
// their WebSocket (#status reads "connected") and their EventSource; a message typed in one
// reaches both, as a chat line and as an event, with no console error and no request that
// leaves the server.
//
//   node chat_page.test.mjs CHAT_BINARY CONFIG_FILE
//
// Exits 77 (skipped) when Chromium or puppeteer-core is missing (scripts/setup.sh installs both).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";

import { launchChromium } from "./chromium.mjs";

const [binary, config] = process.argv.slice(2);

const child = spawn(binary, ["--config", config, "--server.port=0", "--cluster.workers=2",
  "--cluster.balance=round_robin", "--log.access_log=false"], { stdio: ["ignore", "pipe", "pipe"], detached: true });
let log = "";
const port = new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("chat did not start:\n" + log)), 15000);
  const onData = (d) => {
    log += d;
    const m = /Server running at http:\/\/[^:]+:(\d+)\//.exec(log);
    if (m && log.includes("all 2 workers are listening")) {
      clearTimeout(timer);
      resolve(Number(m[1]));
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
});

let chromium;
let failed = false;
try {
  const origin = `http://127.0.0.1:${await port}`;
  chromium = await launchChromium();
  const browser = chromium.browser;
  const problems = [];
  const open = async () => {
    const page = await browser.newPage();
    page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
    page.on("pageerror", (e) => problems.push("page error: " + e.message));
    page.on("requestfailed", (r) => problems.push("request failed: " + r.url()));
    page.on("request", (r) => {
      const u = r.url();
      if (!u.startsWith(origin + "/") && !u.startsWith(origin.replace("http:", "ws:") + "/"))
        problems.push("request that leaves the server: " + u);
    });
    const res = await page.goto(origin + "/", { waitUntil: "domcontentloaded" });
    assert.equal(res.status(), 200);
    await page.waitForFunction(() => document.getElementById("status").textContent === "connected", { timeout: 10000 });
    await page.waitForFunction(() => document.getElementById("events-status").textContent === "connected",
      { timeout: 10000 });
    return page;
  };
  const a = await open();
  const b = await open();

  await a.bringToFront();
  await a.type("#text", "hello from the browser");
  await a.click("form button");
  for (const [name, page] of [["sender", a], ["other", b]]) {
    await page.waitForFunction(() => [...document.querySelectorAll("#messages li")]
      .some((li) => li.textContent === "hello from the browser"), { timeout: 10000 })
      .catch(() => assert.fail(`the ${name} page did not show the message`));
    await page.waitForFunction(() => [...document.querySelectorAll("#events li")]
      .some((li) => li.textContent === "1: hello from the browser"), { timeout: 10000 })
      .catch(() => assert.fail(`the ${name} page did not get the event`));
  }
  assert.deepEqual(problems, []);
  console.log("ok: two pages on two workers exchanged a message over WebSocket and Server-Sent Events");
} catch (e) {
  failed = true;
  console.error(e);
  console.error("server log:\n" + log);
} finally {
  if (chromium) await chromium.close();
  try { process.kill(-child.pid, "SIGTERM"); } catch {}
}
process.exit(failed ? 1 : 0);
