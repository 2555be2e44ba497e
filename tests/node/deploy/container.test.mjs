// deploy/container: no container engine runs here, so the image cannot be built. What is
// checked instead, for real: the runtime stage installs exactly the packages that hold the
// shared libraries the built binary needs beyond the slim base image (ldd + dpkg -S), the
// build stage runs the repository's own scripts, the image's configuration is valid and
// serves, and the HEALTHCHECK command, run against real HTTP servers, passes only on a 200
// from the liveness path.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
    checkConfig, cleanEnv, curl, deployDir, helloBin, parseIni, readText, root, scratchDir,
    startAndWait, stop, withoutSection,
} from "./support.mjs";

const dir = join(deployDir, "container");
const iniText = readText(dir, "hello.ini");
const ini = parseIni(iniText);

/** Instructions of a Dockerfile, each with the stage it belongs to. */
function parseDockerfile(text) {
    const out = [];
    let stage = -1;
    const lines = text.split("\n").filter((l) => !/^\s*#/.test(l)).join("\n").replace(/\\\n/g, " ");
    for (const line of lines.split("\n")) {
        const m = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
        if (!m) continue;
        if (m[1] === "FROM") ++stage;
        out.push({ stage, op: m[1], args: m[2].trim() });
    }
    return out;
}

const dockerfile = parseDockerfile(readText(dir, "Dockerfile"));
const froms = dockerfile.filter((i) => i.op === "FROM");
const last = froms.length - 1;
const inStage = (stage, op) => dockerfile.filter((i) => i.stage === stage && i.op === op);

/** The packages an `apt-get install` in the runtime stage names. */
function runtimePackages() {
    const out = [];
    for (const { args } of inStage(last, "RUN")) {
        for (const cmd of args.split("&&")) {
            const words = cmd.trim().split(/\s+/);
            const at = words.indexOf("install");
            if (words[0] !== "apt-get" || at < 0) continue;
            out.push(...words.slice(at + 1).filter((w) => !w.startsWith("-")));
        }
    }
    return out;
}

/** Debian packages holding the shared libraries `binary` loads (ldd, then dpkg -S). */
function neededPackages(binary) {
    const ldd = spawnSync("ldd", [binary], { encoding: "utf8" });
    assert.equal(ldd.status, 0, ldd.stderr);
    const pkgs = new Set();
    for (const m of ldd.stdout.matchAll(/=>\s+(\/\S+)/g)) {
        // With merged /usr, dpkg knows a file by the path its package ships it under: try
        // the one ldd printed, the resolved one, and both with and without /usr.
        const real = realpathSync(m[1]);
        const names = [m[1], real, real.replace(/^\/usr\//, "/"), m[1].replace(/^\/(?!usr\/)/, "/usr/")];
        const owner = names.map((f) => spawnSync("dpkg", ["-S", f], { encoding: "utf8" })).find((r) => r.status === 0);
        assert.ok(owner, `no Debian package holds ${m[1]}`);
        const pkg = owner.stdout.split(":")[0];
        // A sanitizer build (build-asan) links the sanitizers' runtimes; the image's release
        // build does not.
        if (!/^lib(asan|ubsan|lsan|tsan)\d+$/.test(pkg)) pkgs.add(pkg);
    }
    return pkgs;
}

/**
 * What debian:12-slim holds: the Essential and Priority: required packages and what they
 * depend on, read from this machine's dpkg database (also Debian 12).
 */
function slimBase() {
    const q = spawnSync("dpkg-query", ["-W", "-f", "${Package}\t${Essential}\t${Priority}\t${Pre-Depends}, ${Depends}\n"],
        { encoding: "utf8" });
    const deps = new Map();
    const todo = [];
    for (const line of q.stdout.trim().split("\n")) {
        const [pkg, essential, priority, rel] = line.split("\t");
        deps.set(pkg, rel.split(",").map((alt) => alt.split("|").map((d) => d.trim().split(/[\s:(]/)[0]))
            .filter((alts) => alts[0]));
        if (essential === "yes" || priority === "required") todo.push(pkg);
    }
    const base = new Set();
    while (todo.length) {
        const pkg = todo.pop();
        if (base.has(pkg) || !deps.has(pkg)) continue;
        base.add(pkg);
        for (const alts of deps.get(pkg)) todo.push(alts.find((a) => deps.has(a)) ?? alts[0]);
    }
    return base;
}

/** Packages the binary needs that neither the base nor `listed` provide, and listed ones it does not need. */
function coverage(needed, base, listed) {
    return {
        missing: [...needed].filter((p) => !base.has(p) && !listed.includes(p)),
        unneeded: listed.filter((p) => !needed.has(p)),
    };
}

test("two stages: build on Debian 12, run on slim Debian 12 as a non-root user", () => {
    assert.equal(froms.length, 2);
    assert.match(froms[0].args, /^debian:12 AS build$/);
    assert.equal(froms[1].args, "debian:12-slim");
    const user = inStage(last, "USER").at(-1)?.args ?? "0";
    assert.match(user, /^[1-9]\d*:[1-9]\d*$/, "USER must be a numeric non-root uid:gid (runAsNonRoot checks numbers)");
});

test("the runtime stage installs exactly the libraries the binary needs beyond the slim image", () => {
    assert.ok(helloBin, "DEPLOY_TEST_HELLO is not set");
    const needed = neededPackages(helloBin);
    const base = slimBase();
    assert.ok(base.has("libc6") && base.has("libstdc++6"), "the base set misses the C/C++ runtimes");
    const listed = runtimePackages();
    assert.deepEqual(coverage(needed, base, listed), { missing: [], unneeded: [] });
    // The negative control: the same check notices a library left out.
    assert.deepEqual(coverage(needed, base, listed.filter((p) => p !== "libfmt9")).missing, ["libfmt9"]);
});

test("the build stage runs the repository's own setup and build scripts", () => {
    const runs = inStage(0, "RUN").map((i) => i.args).join(" && ");
    assert.match(runs, /\bbash scripts\/setup\.sh\b/);
    const build = /bash (scripts\/build\.sh) (--release) -- --target (\w+)/.exec(runs);
    assert.ok(build, "no release build in the build stage");
    assert.ok(existsSync(join(root, build[1])));
    assert.match(readText(root, build[1]), /--release\)\s+release=1/);
    assert.match(readText(root, build[1]), /dir="\$root\/build"/);
    // It builds the program the test built, at the path scripts/build.sh puts it.
    assert.match(runs, new RegExp(`\\bbuild/apps/${build[3]}/${build[3]}\\b`));
    assert.match(helloBin, new RegExp(`/apps/${build[3]}/${build[3]}$`));
    const copied = inStage(last, "COPY").map((i) => i.args);
    assert.ok(copied.includes("--from=build /hello /usr/local/bin/hello"));
    assert.equal(inStage(last, "ENTRYPOINT")[0].args, '["/usr/local/bin/hello"]');
});

test("the image's configuration is valid, and the image's command line serves with it", async () => {
    const copy = inStage(last, "COPY").map((i) => i.args.split(/\s+/)).find(([src]) => src === "deploy/container/hello.ini");
    assert.ok(copy, "the configuration is not copied into the image");
    const cmd = JSON.parse(inStage(last, "CMD")[0].args);
    assert.deepEqual(cmd, ["--config", copy[1]]);
    const checked = checkConfig(iniText, ["admin"]);
    assert.equal(checked.complaint, "");
    if (checked.leftOut.length) console.log(`# not checked yet, unknown to this build: [${checked.leftOut}]`);
    const expose = inStage(last, "EXPOSE")[0].args.split(/\s+/);
    assert.deepEqual(expose, [ini.server.port, ini.admin.port]);
    // Served on an ephemeral loopback port (the admin listener left out: its port is fixed).
    const file = join(scratchDir(), "hello.ini");
    writeFileSync(file, withoutSection(iniText, "admin"));
    const p = await startAndWait(helloBin, ["--config", file, "--server.host=127.0.0.1", "--server.port=0"], {
        env: cleanEnv(),
        marker: /Server running at http:\/\/127\.0\.0\.1:(\d+)\//,
    });
    try {
        assert.equal(curl(`http://127.0.0.1:${p.match[1]}/`).body, "Hello World\n");
    } finally {
        const e = await stop(p, inStage(last, "STOPSIGNAL")[0].args);
        assert.deepEqual(e, { code: 0, signal: null }, p.output);
    }
});

/** Runs the HEALTHCHECK's command with its admin port replaced by `port`; returns its exit code. */
function healthcheck(port) {
    const hc = inStage(last, "HEALTHCHECK")[0].args;
    const argv = JSON.parse(hc.slice(hc.indexOf("CMD ") + 4));
    const script = argv[2].replace(`/dev/tcp/127.0.0.1/${ini.admin.port}`, `/dev/tcp/127.0.0.1/${port}`);
    return spawnSync(argv[0], [argv[1], script], { timeout: 5000 }).status;
}

test("HEALTHCHECK asks the liveness path on the admin port and passes only on 200", async () => {
    const hc = inStage(last, "HEALTHCHECK")[0].args;
    assert.match(hc, /GET \/healthz HTTP\/1\.0/);
    assert.match(hc, new RegExp(`/dev/tcp/127\\.0\\.0\\.1/${ini.admin.port}\\b`));
    assert.equal(ini.admin.host ?? "127.0.0.1", "127.0.0.1");
    // The server runs in a process of its own: spawnSync (the check) blocks this one.
    const server = await startAndWait(process.execPath, ["-e", `
        const http = require("node:http");
        let code = 200;
        const s = http.createServer((req, res) => {
            if (req.url === "/set") code = Number(req.headers["x-code"]);
            res.statusCode = req.url === "/healthz" ? code : req.url === "/set" ? 204 : 404;
            res.end();
        }).listen(0, "127.0.0.1", () => console.log("port " + s.address().port));`],
    { env: cleanEnv(), marker: /port (\d+)/ });
    const port = server.match[1];
    try {
        assert.equal(healthcheck(port), 0);
        assert.equal(curl(`http://127.0.0.1:${port}/set`, ["-H", "x-code: 503"]).status, 204);
        assert.notEqual(healthcheck(port), 0, "a 503 passed the health check");
    } finally {
        await stop(server);
    }
    assert.notEqual(healthcheck(port), 0, "nothing listening passed the health check");
});
