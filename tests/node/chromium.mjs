// Headless Chromium for the browser tests: Debian's chromium driven by puppeteer-core, with a
// fresh profile, and the flags this machine's closed network and background pages need.
// Exits 77 (the tests' "skipped") when either is missing; scripts/setup.sh installs both.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const chromiumPath = "/usr/bin/chromium";

let puppeteer;
try {
  puppeteer = (await import("puppeteer-core")).default;
} catch {
  console.log("SKIP: puppeteer-core is not installed (scripts/setup.sh runs npm ci in tests/node)");
  process.exit(77);
}
if (!existsSync(chromiumPath)) {
  console.log(`SKIP: ${chromiumPath} is missing (scripts/setup.sh installs chromium)`);
  process.exit(77);
}

/** A browser, and `close()`, which also removes its profile. */
export async function launchChromium() {
  const profile = mkdtempSync(join(tmpdir(), "nodus-chromium-"));
  try {
    const browser = await puppeteer.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        // Without these, Chromium's own connections are refused by this machine's network.
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        // A page in the background must keep running its timers and frames.
        "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows", `--user-data-dir=${profile}`],
    });
    return {
      browser,
      close: async () => {
        await browser.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}
