#!/usr/bin/env python3
"""Compile, link and run the C++ and CMake snippets of a markdown page.

`generate` (run by CMake at configure time) writes, for one page:
  fragments.cpp   every fragment, each wrapped in a function of its own;
  <id>.cpp        every whole program (a block with `int main` or `nodus_main`);
  snippets.cmake  the list of programs, for tests/docs/CMakeLists.txt.
Every snippet line is preceded by `#line`, so compiler errors name the page and its line.

`check` (the ctest test docs.<page>) builds those targets, runs the programs that are
marked to run, and configures (and, against an installed nodus, builds) the CMake blocks.
Each failure is reported as `<page>:<line>: <what>`.

Markers: an HTML comment just before a block, `<!-- snippet: KIND ... -->`.
  Fragments (C++ blocks that are not whole programs) must carry one:
    app       the body of `void f(nodus::app& app)`
    handler   the body of `void f(nodus::request req, nodus::response res)`
    block     the body of `void f()`
    toplevel  namespace-scope code (`nodus_main` is declared)
  Each may end with `given: DECLARATIONS`, names the snippet uses without defining them,
  e.g. `<!-- snippet: app given: std::string build_report(); -->`.
  Fragments see <nodus/nodus.hpp> and the standard headers listed in PRELUDE; their
  `#include` lines are moved to the top of the file.
  INI blocks marked `config` are read as nodus reads a --config file (then validated).
  Programs need none; to run one:
    serve     starts it with --server.port=0, waits for "Server running at", sends each
              request line `METHOD PATH [BODY] => TEXT` (the answer must contain TEXT), then
              stops it with SIGTERM and expects exit code 0;
    run NAME  runs the next fenced block as a shell transcript: each `$ command` runs in a
              directory where the program is ./NAME; the lines after it are its output.
  skip REASON   the block is not compiled (say why).
  CMake blocks: one with `project(` is a consumer project, built with the page's first
  program that fits its target as main.cpp: with `find_package(nodus` it is configured and
  built against nodus installed from this build; with `add_subdirectory` it is configured
  with nodus's source tree in place of that directory (configure only: building would
  build nodus again). Other CMake blocks are configured together in a project that adds
  nodus with add_subdirectory, each in a directory of its own.
"""
import argparse
import glob
import http.client
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

from snippets import classify, generate, numbered, parse, rel, write_if_changed

SKIPPED = 77   # SKIP_RETURN_CODE of the docs.* tests


class Report:
    def __init__(self):
        self.failures = []
        self.skips = []

    def fail(self, where, what):
        self.failures.append(f"{where}: {what}")
        print(f"FAIL {where}: {what}", flush=True)

    def skip(self, where, why):
        self.skips.append(f"{where}: {why}")
        print(f"SKIP {where}: {why}", flush=True)


def run_logged(cmd, cwd=None, env=None, timeout=600):
    print("+ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("NODUS_")}


def parse_requests(text):
    reqs = []
    for l in text.split("\n"):
        l = l.strip()
        if not l:
            continue
        if "=>" not in l:
            raise ValueError(f"`{l}`: expected METHOD PATH [BODY] => TEXT")
        left, expect = l.split("=>", 1)
        words = shlex.split(left)
        if len(words) not in (2, 3):
            raise ValueError(f"`{l}`: expected METHOD PATH [BODY] => TEXT")
        reqs.append((words[0], words[1], words[2] if len(words) == 3 else None, expect.strip()))
    return reqs


def serve(exe, b, where, report):
    try:
        reqs = parse_requests(b.arg)
    except ValueError as e:
        report.fail(where, str(e))
        return
    if not reqs:
        report.fail(where, "`serve` needs at least one request line")
        return
    proc = subprocess.Popen([exe, "--server.port=0", "--log.access_log=false"], env=clean_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines = []
    port = []
    ready = threading.Event()

    def read():
        for l in proc.stdout:
            lines.append(l)
            m = re.search(r"Server running at http://(\S+?):(\d+)/", l)
            if m and not port:
                port.append((m.group(1).strip("[]"), int(m.group(2))))
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        if not ready.wait(30) or not port:
            report.fail(where, "no \"Server running at\" line within 30 s; output:\n" + "".join(lines))
            return
        host, p = port[0]
        for method, path, body, expect in reqs:
            try:
                conn = http.client.HTTPConnection(host, p, timeout=30)
                conn.request(method, path, body=body)
                resp = conn.getresponse()
                answer = resp.read().decode("utf-8", "replace")
                conn.close()
            except OSError as e:
                report.fail(where, f"{method} {path}: {e}")
                continue
            if expect not in f"{resp.status} {answer}":
                report.fail(where, f"{method} {path}: expected {expect!r}, got {resp.status} {answer!r}")
            else:
                print(f"ok {where}: {method} {path} -> {resp.status} {answer.strip()[:60]!r}", flush=True)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = proc.wait()
            report.fail(where, "still running 20 s after SIGTERM")
        reader.join(5)
    if port and rc != 0:
        report.fail(where, f"exit code {rc} after SIGTERM (expected 0); output:\n" + "".join(lines))


def transcript(exe, b, where, report, page):
    name = b.arg.strip()
    t = b.after
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name or "") or t is None or t.lang not in ("", "sh", "console"):
        report.fail(where, "`run NAME` needs a program name and a shell transcript block after the program")
        return
    steps = []
    for l in t.text.rstrip("\n").split("\n"):
        if l.startswith("$ "):
            steps.append([l[2:], []])
        elif steps:
            steps[-1][1].append(l)
        else:
            report.fail(f"{page}:{t.line}", "a transcript starts with a `$ command` line")
            return
    with tempfile.TemporaryDirectory() as d:
        os.symlink(os.path.abspath(exe), os.path.join(d, name))
        for command, expected in steps:
            try:
                p = subprocess.run(["sh", "-c", command], cwd=d, env=clean_env(), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
                out = p.stdout
            except subprocess.TimeoutExpired:
                report.fail(f"{page}:{t.line}", f"`{command}` still running after 60 s")
                continue
            want = "\n".join(expected) + "\n" if expected else ""
            if out != want:
                report.fail(f"{page}:{t.line}", f"`{command}` printed\n{out}instead of\n{want}")
            else:
                print(f"ok {where}: `{command}` printed what {page}:{t.line} shows", flush=True)


def check_config(args, page, ini, report):
    """Each `config` INI block read as nodus reads a --config file (tests/docs/config_check.cpp)."""
    d = os.path.join(args.out, "config")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    files = []
    for b in ini:
        files.append(os.path.join(d, b.id + ".ini"))
        write_if_changed(files[-1], b.text)
    rc, out = run_logged([os.path.join(args.out, "..", "bin", "docs_config_check")] + files)
    # Messages name the file and its line: map them back to the page.
    for l in out.splitlines():
        m = re.match(r"^(?:.*/)?L(\d+)\.ini(?::(\d+))?: (.*)$", l)
        if m:
            line = int(m.group(1)) + (int(m.group(2)) - 1 if m.group(2) else 0)
            report.fail(f"{page}:{line}", m.group(3))
        elif l.strip():
            report.fail(page, l)
    if rc == 0:
        print(f"ok {page}: {len(ini)} INI block(s) read as configuration: "
              + ", ".join(f"line {b.line}" for b in ini), flush=True)
    elif not out.strip():
        report.fail(page, f"the configuration check exited with {rc}")


def first_program(cpp, kind):
    return next((b for b in cpp if b.program == kind), None)


def consumer_env():
    env = clean_env()
    env.pop("CMAKE_PREFIX_PATH", None)
    return env


def cmake_configure(args, src, build, extra, where, report, build_it=False):
    shutil.rmtree(build, ignore_errors=True)
    cmd = [args.cmake, "-S", src, "-B", build, "-G", args.generator,
           f"-DCMAKE_CXX_COMPILER={args.cxx}", "-DCMAKE_BUILD_TYPE=Release"]
    if args.sanitize:
        flags = "-fsanitize=address,undefined"
        cmd += [f"-DCMAKE_CXX_FLAGS={flags}", f"-DCMAKE_EXE_LINKER_FLAGS={flags}"]
    rc, out = run_logged(cmd + extra, env=consumer_env())
    if rc != 0:
        report.fail(where, "configuring it failed:\n" + out)
        return False
    if build_it:
        rc, out = run_logged([args.cmake, "--build", build], env=consumer_env())
        if rc != 0:
            report.fail(where, "building it failed:\n" + out)
            return False
    return True


def check_cmake(args, page, cpp, cmake, report):
    work = os.path.join(args.out, "consumers")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    for b in cmake:
        if "project(" in b.text:
            check_project(args, page, cpp, b, work, report)
    fragments = [b for b in cmake if "project(" not in b.text]
    if fragments:
        check_cmake_fragments(args, page, fragments, work, report)


def install_nodus(args, work, where, report):
    """nodus installed from this build tree (its framework/ part), or None."""
    prefix = os.path.join(work, "prefix")
    if not os.path.isdir(prefix):
        rc, out = run_logged([args.cmake, f"-DCMAKE_INSTALL_PREFIX={prefix}", "-P",
                              os.path.join(args.framework_build, "cmake_install.cmake")])
        if rc != 0:
            report.fail(where, "installing nodus failed:\n" + out)
            return None
    return prefix


def check_project(args, page, cpp, b, work, report):
    where = f"{page}:{b.line}"
    kind = "nodus_main" if "nodus::main" in b.text else "main"
    prog = first_program(cpp, kind)
    if prog is None:
        report.fail(where, "no program on this page to build it with (one with "
                           + ("nodus_main)" if kind == "nodus_main" else "int main)"))
        return
    src = os.path.join(work, b.id)
    os.makedirs(src)
    write_if_changed(os.path.join(src, "CMakeLists.txt"), b.text)
    write_if_changed(os.path.join(src, "main.cpp"), numbered(prog.text, prog.line, page))
    build = os.path.join(src, "build")
    if "find_package(nodus" in b.text:
        prefix = install_nodus(args, work, where, report)
        if prefix is None:
            return
        version = re.compile(r"(find_package\(nodus)\s+\d[\d.]*")
        if version.search(b.text) and not glob.glob(os.path.join(prefix, "**", "nodus*ersion.cmake"),
                                                    recursive=True):
            # Without a version file find_package(nodus VERSION) cannot succeed: check the
            # rest, and say so.
            write_if_changed(os.path.join(src, "CMakeLists.txt"), version.sub(r"\1", b.text))
            report.skip(where, "nodus installs no nodusConfigVersion.cmake: checked without the version")
        if cmake_configure(args, src, build, [f"-DCMAKE_PREFIX_PATH={prefix}"], where, report,
                           build_it=True):
            print(f"ok {where}: configured and built against nodus installed in {prefix}", flush=True)
        return
    m = re.search(r"add_subdirectory\(\s*([^\s)]+)", b.text)
    if not m:
        report.fail(where, "a consumer project needs find_package(nodus ...) or add_subdirectory(...)")
        return
    link = os.path.join(src, m.group(1))
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(args.root, link)
    if cmake_configure(args, src, build, [], where, report):
        print(f"ok {where}: configured with nodus as {m.group(1)}", flush=True)


def check_cmake_fragments(args, page, fragments, work, report):
    src = os.path.join(work, "fragments")
    os.makedirs(src)
    top = ["cmake_minimum_required(VERSION 3.20)", "project(docs_cmake_fragments CXX)",
           "set(NODUS_BUILD_TESTS OFF)", "set(NODUS_BUILD_APPS OFF)", "set(NODUS_BUILD_BENCH OFF)",
           f"add_subdirectory({cmake_path(args.root)} nodus)"]
    for b in fragments:
        d = os.path.join(src, b.id)
        os.makedirs(d)
        write_if_changed(os.path.join(d, "CMakeLists.txt"), b.text)
        for f in re.findall(r"\b([\w-]+\.cpp)\b", b.text):
            write_if_changed(os.path.join(d, f), "")
        top.append(f"add_subdirectory({b.id})   # {page}:{b.line}")
    write_if_changed(os.path.join(src, "CMakeLists.txt"), "\n".join(top) + "\n")
    where = ", ".join(f"{page}:{b.line}" for b in fragments)
    if cmake_configure(args, src, os.path.join(src, "build"), [], where, report):
        print(f"ok {where}: configured with nodus added by add_subdirectory", flush=True)


def cmake_path(p):
    return '"' + p.replace("\\", "/") + '"'


def cmd_check(args):
    page = rel(args.doc, args.root)
    report = Report()
    keep_going = []
    if args.generator == "Ninja":
        keep_going = ["--", "-k", "0"]
    elif "Makefiles" in args.generator:
        keep_going = ["--", "-k"]
    rc, out = run_logged([args.cmake, "--build", args.build_dir, "--target", args.target] + keep_going)
    if rc != 0:
        print(out)
        # The compiler names page:line (#line); list those places once more at the end.
        places = re.findall(r"^(" + re.escape(page) + r":\d+):\d+: (?:fatal )?error: (.*)$", out, re.M)
        for where, what in dict.fromkeys(places):
            report.fail(where, what)
        unlinked = r"^FAILED: \S*/bin/docs_" + re.escape(args.name) + r"_L(\d+)\b"
        for line in dict.fromkeys(re.findall(unlinked, out, re.M)):
            places.append(line)
            report.fail(f"{page}:{line}", "the program does not link (see the output above)")
        if not places:
            report.fail(page, "the snippets do not compile or link (see the output above)")
        print_summary(report)
        return 1
    cpp, cmake, ini, errors = classify(parse(args.doc), page)
    for e in errors:
        report.fail(e.split(": ", 1)[0], e.split(": ", 1)[1])
    for b in cpp:
        if not b.program:
            continue
        exe = os.path.join(args.out, "bin", f"docs_{args.name}_{b.id}")
        where = f"{page}:{b.line}"
        if b.kind == "serve":
            serve(exe, b, where, report)
        elif b.kind == "run":
            transcript(exe, b, where, report, page)
        else:
            target = "nodus::main" if b.program == "nodus_main" else "nodus::nodus"
            print(f"ok {where}: compiled and linked with {target}")
    frags = [b for b in cpp if not b.program]
    if frags:
        print(f"ok {page}: {len(frags)} fragment(s) compiled: "
              + ", ".join(f"line {b.line} ({b.kind})" for b in frags))
    if ini:
        check_config(args, page, ini, report)
    if cmake:
        check_cmake(args, page, cpp, cmake, report)
    print_summary(report)
    return 1 if report.failures else SKIPPED if report.skips else 0


def print_summary(report):
    if report.skips:
        print(f"\n{len(report.skips)} check(s) incomplete:")
        for f in report.skips:
            print("  " + f)
    if report.failures:
        print(f"\n{len(report.failures)} failure(s):")
        for f in report.failures:
            print("  " + f.split("\n", 1)[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    c = sub.add_parser("check")
    for p in (g, c):
        p.add_argument("--root", required=True, help="the repository's root")
        p.add_argument("--doc", required=True, help="the markdown page")
        p.add_argument("--out", required=True, help="the page's directory in the build tree")
    c.add_argument("--name", required=True)
    c.add_argument("--build-dir", required=True)
    c.add_argument("--target", required=True)
    c.add_argument("--framework-build", required=True, help="the build tree's framework/ folder")
    c.add_argument("--cmake", required=True)
    c.add_argument("--generator", required=True)
    c.add_argument("--cxx", required=True)
    c.add_argument("--sanitize", action="store_true")
    args = ap.parse_args()
    args.root = os.path.abspath(args.root)
    return generate(args) if args.cmd == "generate" else cmd_check(args)


if __name__ == "__main__":
    sys.exit(main())
