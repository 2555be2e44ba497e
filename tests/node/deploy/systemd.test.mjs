// deploy/systemd: the units pass `systemd-analyze verify`, their timeouts fit the drain
// timeouts of the configuration they ship with, and the service's own command line, started
// the way hello.socket starts it (systemd-socket-activate) as the unprivileged user the
// hardening leaves it (setpriv), serves, reloads and stops cleanly.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { chmodSync, copyFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
    checkConfig, cleanEnv, configCheckBin, curl, deployDir, durationMs, helloBin, parseIni,
    readText, scratchDir, startAndWait, stop, waitForOutput,
} from "./support.mjs";

const dir = join(deployDir, "systemd");
const serviceText = readText(dir, "hello.service");
const socketText = readText(dir, "hello.socket");
const iniText = readText(dir, "hello.ini");
const ini = parseIni(iniText);

// Where docs/operations.md installs each file, and where the test finds it instead.
const installed = {
    "/usr/local/bin/hello": helloBin,
    "/etc/hello/hello.ini": join(dir, "hello.ini"),
};

/** systemd's unit syntax: [Section], Key=Value (keys may repeat), '#' and ';' comments. */
function parseUnit(text) {
    const out = {};
    let section = null;
    for (const raw of text.replace(/\\\n/g, " ").split("\n")) {
        const line = raw.trim();
        if (!line || line.startsWith("#") || line.startsWith(";")) continue;
        const head = /^\[(.+)\]$/.exec(line);
        if (head) {
            section = out[head[1]] ??= [];
            continue;
        }
        const eq = line.indexOf("=");
        assert.ok(eq > 0 && section, `not a unit line: ${raw}`);
        section.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
    }
    return out;
}
const last = (unit, section, key) => unit[section]?.filter(([k]) => k === key).at(-1)?.[1];

const service = parseUnit(serviceText);
const socket = parseUnit(socketText);

/** The ExecStart command line with installed paths mapped to `paths`. */
function execStart(paths = installed) {
    const words = last(service, "Service", "ExecStart").split(/\s+/);
    return words.map((w) => {
        if (!w.startsWith("/")) return w;
        assert.ok(paths[w], `ExecStart names ${w}, which docs/operations.md does not install`);
        return paths[w];
    });
}

function verify(files) {
    const r = spawnSync("systemd-analyze", ["verify", "--man=no", ...files], { encoding: "utf8" });
    return { status: r.status, output: `${r.stdout}${r.stderr}`.trim(), error: r.error };
}

/** The units as installed, with this tree's paths: verify checks that ExecStart exists. */
function unitCopies(mutate = (s) => s) {
    const out = scratchDir();
    let text = serviceText;
    for (const [from, to] of Object.entries(installed)) text = text.split(from).join(to);
    writeFileSync(join(out, "hello.service"), mutate(text));
    writeFileSync(join(out, "hello.socket"), socketText);
    return [join(out, "hello.service"), join(out, "hello.socket")];
}

test("systemd-analyze verify accepts the units, and rejects a broken copy", (t) => {
    const probe = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
    if (probe.error) return t.skip(`systemd-analyze cannot run here: ${probe.error.message}`);
    const good = verify(unitCopies());
    assert.equal(good.output, "", "systemd-analyze verify complained");
    assert.equal(good.status, 0);
    // The negative control: the same check must see a misspelt key and a bad value.
    const bad = verify(unitCopies((s) => s.replace("ProtectSystem=strict", "ProtectSystm=strict")
        .replace(/TimeoutStopSec=\d+/, "TimeoutStopSec=soon")));
    assert.match(bad.output, /ProtectSystm/);
    assert.match(bad.output, /soon/);
});

/** `systemd-analyze security --offline`'s overall exposure (0 = sealed, 10 = unprotected). */
function exposure(file) {
    const r = spawnSync("systemd-analyze", ["security", "--offline=true", "--no-pager", file], { encoding: "utf8" });
    const m = /Overall exposure level for [^:]+: (\d+\.\d+)/.exec(r.stdout);
    assert.ok(m, `systemd-analyze security said: ${r.stdout}${r.stderr}`);
    return Number(m[1]);
}

test("systemd-analyze security rates the hardening OK, and a bare copy unsafe", (t) => {
    const probe = spawnSync("systemd-analyze", ["--version"], { encoding: "utf8" });
    if (probe.error) return t.skip(`systemd-analyze cannot run here: ${probe.error.message}`);
    const [unit] = unitCopies();
    assert.ok(exposure(unit) <= 2.0, `exposure ${exposure(unit)} is above 2.0 ("OK" ends at 3.9)`);
    const [bare] = unitCopies((s) => s.split("\n").filter((l) => !/^(DynamicUser|NoNewPrivileges|Protect|Private|Restrict|Capability|SystemCall|LockPersonality|MemoryDeny|UMask|ProcSubset|RemoveIPC)/.test(l)).join("\n"));
    assert.ok(exposure(bare) > 8, "the negative control is not rated unsafe");
});

test("the stop timeout covers the configuration's drain, and the hardening is on", () => {
    const stopSec = Number(last(service, "Service", "TimeoutStopSec"));
    const drain = Math.max(durationMs(ini, "http", "drain_timeout_ms", 10000),
        durationMs(ini, "cluster", "shutdown_timeout_ms", 10000));
    assert.ok(stopSec * 1000 > drain, `TimeoutStopSec=${stopSec} s does not exceed the drain (${drain} ms)`);
    assert.equal(last(service, "Service", "KillMode"), "mixed"); // TERM to the master only
    assert.equal(last(service, "Service", "KillSignal"), "SIGTERM");
    assert.equal(last(service, "Service", "ExecReload"), "/bin/kill -HUP $MAINPID");
    assert.equal(last(service, "Service", "RestartPreventExitStatus"), "2");
    for (const [key, value] of [["DynamicUser", "yes"], ["NoNewPrivileges", "yes"], ["ProtectSystem", "strict"],
        ["ProtectHome", "yes"], ["PrivateTmp", "yes"], ["CapabilityBoundingSet", ""]]) {
        assert.equal(last(service, "Service", key), value, `${key}=`);
    }
    // Socket activation is adopted by the cluster master only: workers must not be 0.
    assert.notEqual(ini.cluster?.workers ?? "0", "0");
    assert.ok(service.Unit.some(([k, v]) => k === "Requires" && v === "hello.socket"));
    assert.ok(last(socket, "Socket", "ListenStream"));
    assert.equal(String(last(socket, "Socket", "ListenStream")).split(":").at(-1), ini.server.port,
        "the socket's port and [server] port differ");
});

test("the shipped configuration is valid", () => {
    assert.ok(configCheckBin, "DEPLOY_TEST_CONFIG_CHECK is not set");
    assert.equal(checkConfig(iniText).complaint, "");
});

/** Pids whose parent is `pid`, from /proc. */
function childrenOf(pid) {
    const out = [];
    for (const name of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
        try {
            const stat = readText(`/proc/${name}/stat`);
            if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(name);
        } catch {
            // gone meanwhile
        }
    }
    return out;
}

function freePort() {
    return new Promise((res, rej) => {
        const s = createServer().listen(0, "127.0.0.1", () => {
            const { port } = s.address();
            s.close(() => res(port));
        }).on("error", rej);
    });
}

/**
 * What DynamicUser=, NoNewPrivileges= and an empty CapabilityBoundingSet= leave the program:
 * an unprivileged user without capabilities that cannot gain any (setpriv execs in place, so
 * LISTEN_PID still names the program). Its files are copied where that user can read them.
 */
function unprivileged() {
    const dir = scratchDir();
    chmodSync(dir, 0o755);
    const bin = join(dir, "hello");
    copyFileSync(helloBin, bin);
    chmodSync(bin, 0o755);
    const ini = join(dir, "hello.ini");
    copyFileSync(installed["/etc/hello/hello.ini"], ini);
    chmodSync(ini, 0o644);
    const setpriv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--no-new-privs",
        "--inh-caps=-all", "--bounding-set=-all"];
    return [...setpriv, ...execStart({ "/usr/local/bin/hello": bin, "/etc/hello/hello.ini": ini })];
}

test("ExecStart, socket-activated and unprivileged, serves, reloads with ExecReload and stops with 0", async () => {
    assert.ok(helloBin, "DEPLOY_TEST_HELLO is not set");
    const port = await freePort();
    // systemd-socket-activate binds as hello.socket would and, on the first connection,
    // execs the command with LISTEN_FDS=1 and LISTEN_PID set to its own pid.
    const p = await startAndWait("systemd-socket-activate", ["-l", `127.0.0.1:${port}`, ...unprivileged()], {
        env: cleanEnv(),
        marker: /Listening on/,
    });
    try {
        const first = curl(`http://127.0.0.1:${port}/`); // starts the service, as systemd would
        assert.equal(first.body, "Hello World\n", first.error);
        await waitForOutput(p, /all \d+ workers are listening/);
        assert.match(p.output, new RegExp(`Server running at http://127\\.0\\.0\\.1:${port}/`));
        for (let i = 0; i < 5; ++i) assert.equal(curl(`http://127.0.0.1:${port}/`).body, "Hello World\n");
        const reload = last(service, "Service", "ExecReload").replace("$MAINPID", String(p.child.pid)).split(" ");
        const r = spawnSync(reload[0], reload.slice(1));
        assert.equal(r.status, 0, "ExecReload failed");
        await waitForOutput(p, /reload complete/);
        assert.equal(curl(`http://127.0.0.1:${port}/`).status, 200);
        // The workers run as the unprivileged user too.
        const uids = new Set(childrenOf(p.child.pid).map((pid) => /^Uid:\s+(\d+)/m.exec(readText(`/proc/${pid}/status`))[1]));
        assert.deepEqual([...uids], ["65534"]);
    } finally {
        const e = await stop(p, last(service, "Service", "KillSignal"),
            Number(last(service, "Service", "TimeoutStopSec")) * 1000);
        assert.deepEqual(e, { code: 0, signal: null }, p.output);
    }
});
