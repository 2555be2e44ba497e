// Helpers shared by the deployment tests: the repository's paths, nodus's INI format, and the
// built programs (hello and the config checker) run as real processes.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const deployDir = join(root, "deploy");

// Set by tests/deploy/CMakeLists.txt. Not NODUS_*: nodus reads those as settings.
export const helloBin = process.env.DEPLOY_TEST_HELLO;
export const configCheckBin = process.env.DEPLOY_TEST_CONFIG_CHECK;

export function readText(...parts) {
    return readFileSync(join(...parts), "utf8");
}

export function scratchDir() {
    return mkdtempSync(join(tmpdir(), "nodus-deploy-"));
}

/** nodus's INI format (docs/configuration.md): [section], key = value, '#' comments. */
export function parseIni(text) {
    const out = {};
    let section = null;
    for (const raw of text.split("\n")) {
        const line = raw.replace(/#.*/, "").trim();
        if (!line) continue;
        const head = /^\[([^\]]+)\]$/.exec(line);
        if (head) {
            section = head[1];
            out[section] ??= {};
            continue;
        }
        const eq = line.indexOf("=");
        if (eq < 0 || !section) throw new Error(`not an INI line: ${raw}`);
        out[section][line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
    return out;
}

/** The text without the lines of `[section]`. */
export function withoutSection(text, section) {
    const out = [];
    let skipping = false;
    for (const line of text.split("\n")) {
        const head = /^\s*\[([^\]]+)\]/.exec(line);
        if (head) skipping = head[1] === section;
        if (!skipping) out.push(line);
    }
    return out.join("\n");
}

/** Environment without NODUS_* variables, so only what a test sets reaches the program. */
export function cleanEnv(extra = {}) {
    const env = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("NODUS_")) env[k] = v;
    return { ...env, ...extra };
}

/** Whether the built program knows `[section]` (its --help lists every key's flag). */
export function programKnowsSection(section) {
    const r = spawnSync(helloBin, ["--help"], { encoding: "utf8", env: cleanEnv() });
    if (r.status !== 0) throw new Error(`hello --help exited ${r.status}: ${r.stderr}`);
    return r.stdout.includes(`--${section}.`);
}

/**
 * Reads `iniText` as nodus reads a --config file and validates every value; returns the
 * checker's complaint ("" when the file is good). Sections the built program does not know
 * yet (listed in `pending`) are left out, and the names of those left out are returned.
 */
export function checkConfig(iniText, pending = []) {
    let text = iniText;
    const leftOut = [];
    for (const section of pending) {
        if (parseIni(text)[section] && !programKnowsSection(section)) {
            text = withoutSection(text, section);
            leftOut.push(section);
        }
    }
    const file = join(scratchDir(), "checked.ini");
    writeFileSync(file, text);
    const r = spawnSync(configCheckBin, [file], { encoding: "utf8", env: cleanEnv() });
    return { complaint: r.status === 0 ? "" : `${r.stdout}${r.stderr}` || `exit ${r.status}`, leftOut, file };
}

/**
 * Starts `cmd` and resolves once its output contains `marker` (a RegExp), with the process,
 * its output so far and the match. Rejects when it exits first or after `ms`.
 */
export function startAndWait(cmd, args, { env, marker, ms = 15000 }) {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const state = { child, output: "", exited: null };
    const done = new Promise((res) => child.on("exit", (code, signal) => res((state.exited = { code, signal }))));
    state.done = done;
    return new Promise((res, rej) => {
        const timer = setTimeout(() => {
            killGroup(child.pid); // nobody else will: the caller gets no handle
            rej(new Error(`no ${marker} within ${ms} ms:\n${state.output}`));
        }, ms);
        const onData = (b) => {
            state.output += b.toString();
            const m = marker.exec(state.output);
            if (m && !state.match) {
                state.match = m;
                clearTimeout(timer);
                res(state);
            }
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        done.then((e) => {
            clearTimeout(timer);
            killGroup(child.pid); // workers a master left behind, if any
            rej(new Error(`exited (${e.code ?? e.signal}) before ${marker}:\n${state.output}`));
        });
    });
}

/** Resolves once the output of a process started by startAndWait matches `re`. */
export function waitForOutput(state, re, ms = 15000) {
    return new Promise((res, rej) => {
        if (re.test(state.output)) return res();
        const { stdout, stderr } = state.child;
        const cleanup = () => {
            clearTimeout(timer);
            stdout.off("data", check);
            stderr.off("data", check);
            state.child.off("exit", onExit);
        };
        // Registered after startAndWait's listeners, so `output` already holds the new bytes.
        const check = () => re.test(state.output) && (cleanup(), res());
        const onExit = () => (cleanup(), rej(new Error(`exited before ${re}:\n${state.output}`)));
        const timer = setTimeout(() => (cleanup(), rej(new Error(`no ${re} within ${ms} ms:\n${state.output}`))), ms);
        stdout.on("data", check);
        stderr.on("data", check);
        state.child.on("exit", onExit);
    });
}

function killGroup(pid) {
    try {
        process.kill(-pid, "SIGKILL");
    } catch {
        // already gone
    }
}

/** Sends `signal` to the process and resolves with how it exited (SIGKILL after `ms`). */
export async function stop(state, signal = "SIGTERM", ms = 15000) {
    if (state.exited) return state.exited;
    state.child.kill(signal);
    const timer = setTimeout(() => killGroup(state.child.pid), ms);
    const e = await state.done;
    clearTimeout(timer);
    killGroup(state.child.pid); // workers left behind, if any
    return e;
}

/** GET with curl; returns { status, body }. */
export function curl(url, extra = []) {
    const r = spawnSync("curl", ["-sS", "--max-time", "5", ...extra, "-o", "-", "-w", "\n%{http_code}", url], {
        encoding: "utf8",
    });
    const cut = r.stdout.lastIndexOf("\n");
    return { status: Number(r.stdout.slice(cut + 1)), body: r.stdout.slice(0, cut), error: r.stderr };
}

/** `ms` of a nodus duration key, with its default when the file does not set it. */
export function durationMs(ini, section, key, fallback) {
    const v = ini[section]?.[key];
    return v === undefined ? fallback : Number(v);
}
