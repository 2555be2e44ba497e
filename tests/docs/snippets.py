"""Reading a markdown page's snippets and writing the sources that compile them.

The marker conventions are described at the top of docsnip.py, which uses this module.
"""
import os
import re


PRELUDE = """\
#include <nodus/nodus.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
void nodus_main(nodus::app& app);
"""

FRAGMENT_KINDS = {
    "app": "nodus::app& app",
    "handler": "nodus::request req, nodus::response res",
    "block": "",
    "toplevel": None,
}
PROGRAM_KINDS = ("serve", "run")

FENCE = re.compile(r"^(\s*)(```+)\s*([A-Za-z0-9_+-]*)\s*$")
MAIN = re.compile(r"\bint\s+main\s*\(")
NODUS_MAIN = re.compile(r"\bvoid\s+nodus_main\s*\(")


class Snippet:
    def __init__(self, lang, line, text, marker, marker_line):
        self.lang = lang          # "cpp" or "cmake"
        self.line = line          # first line of the block's content, 1-based
        self.text = text
        self.kind, self.arg = split_marker(marker)
        self.marker_line = marker_line
        self.after = None         # the next fenced block (for `run`)
        self.program = None       # "main" or "nodus_main" for whole programs
        if lang == "cpp" and self.kind not in FRAGMENT_KINDS and self.kind != "skip":
            if NODUS_MAIN.search(text):
                self.program = "nodus_main"
            elif MAIN.search(text):
                self.program = "main"

    @property
    def id(self):
        return f"L{self.line}"


def split_marker(marker):
    if marker is None:
        return None, ""
    parts = marker.split(None, 1)
    return (parts[0], parts[1] if len(parts) > 1 else "") if parts else (None, "")


def parse(path):
    """Every fenced block of the page, with the snippet marker just before it."""
    lines = open(path, encoding="utf-8").read().split("\n")
    blocks = []
    i = 0
    pending = None     # (marker text, line) of a comment that ended on the previous line
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        if m:
            indent, ticks, lang = m.group(1), m.group(2), m.group(3).lower()
            j = i + 1
            while j < len(lines) and not (lines[j].strip() == ticks and lines[j].startswith(indent)):
                j += 1
            body = [l[len(indent):] if l.startswith(indent) else l for l in lines[i + 1:j]]
            lang = {"c++": "cpp", "cxx": "cpp"}.get(lang, lang)
            marker, marker_line = pending if pending else (None, None)
            blocks.append(Snippet(lang, i + 2, "\n".join(body) + "\n", marker, marker_line))
            pending = None
            i = j + 1
            continue
        stripped = line.strip()
        if stripped.startswith("<!--") and "snippet:" in stripped:
            start = i
            text = line
            while "-->" not in text and i + 1 < len(lines):
                i += 1
                text += "\n" + lines[i]
            inner = text.split("<!--", 1)[1].rsplit("-->", 1)[0]
            pending = (inner.split("snippet:", 1)[1].strip(), start + 1)
        elif stripped:
            pending = None
        i += 1
    for a, b in zip(blocks, blocks[1:]):
        a.after = b
    return blocks


def rel(path, root):
    return os.path.relpath(os.path.abspath(path), root)


def cpp_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def classify(blocks, page):
    """The C++, CMake and INI snippets, and the problems found without compiling."""
    errors = []
    cpp = []
    cmake = []
    ini = []
    for b in blocks:
        if b.lang == "ini" and b.kind == "config":
            ini.append(b)
            continue
        if b.lang not in ("cpp", "cmake"):
            if b.kind is not None:
                errors.append(f"{page}:{b.marker_line}: a snippet marker before a ```{b.lang} block "
                              "(only cpp, cmake and, marked `config`, ini blocks are checked)")
            continue
        if b.kind == "skip":
            if not b.arg:
                errors.append(f"{page}:{b.marker_line}: `snippet: skip` needs a reason")
            continue
        if b.lang == "cmake":
            if b.kind is not None:
                errors.append(f"{page}:{b.marker_line}: unknown marker `{b.kind}` for a cmake block")
            cmake.append(b)
            continue
        if b.program:
            if b.kind not in (None,) + PROGRAM_KINDS:
                errors.append(f"{page}:{b.marker_line}: unknown marker `{b.kind}` for a program")
            cpp.append(b)
        elif b.kind in FRAGMENT_KINDS:
            cpp.append(b)
        elif b.kind is None:
            errors.append(f"{page}:{b.line}: a C++ fragment needs a marker before it: "
                          "<!-- snippet: app|handler|block|toplevel --> (or skip REASON)")
        else:
            errors.append(f"{page}:{b.marker_line}: unknown marker `{b.kind}`"
                          + (" (a program needs int main or nodus_main)" if b.kind in PROGRAM_KINDS else ""))
    return cpp, cmake, ini, errors


def numbered(text, line, page):
    """`text` with a #line directive, so diagnostics name the page."""
    return f"#line {line} {cpp_string(page)}\n{text}"


def fragment_source(frags, page, errors):
    includes = []
    bodies = []
    for b in frags:
        given = ""
        body_lines = []
        for l in b.text.split("\n"):
            if l.lstrip().startswith("#include"):
                includes.append(f"#line {b.line + len(body_lines)} {cpp_string(page)}\n{l.strip()}")
                body_lines.append("")
            else:
                body_lines.append(l)
        body = "\n".join(body_lines)
        arg = b.arg
        if arg.startswith("given:"):
            given = arg[len("given:"):].strip()
        elif arg:
            errors.append(f"{page}:{b.marker_line}: unexpected `{arg}` after `{b.kind}` (only given: ...)")
        params = FRAGMENT_KINDS[b.kind]
        out = [f"// {page}:{b.line} ({b.kind})", f"namespace doc_{b.id} {{"]
        if given:
            out.append(numbered(given, b.marker_line, page))
        if params is None:
            out.append(numbered(body, b.line, page))
        else:
            out.append(f"[[maybe_unused]] void fragment({params}) {{")
            out.append(numbered(body, b.line, page))
            out.append("}")
        out.append(f"}} // namespace doc_{b.id}")
        bodies.append("\n".join(out))
    head = [f"// Generated from {page} by tests/docs/docsnip.py: do not edit.", PRELUDE]
    return "\n".join(head + includes + ["#line 1 \"fragments.cpp\""] + bodies) + "\n"


def write_if_changed(path, text):
    try:
        if open(path, encoding="utf-8").read() == text:
            return
    except FileNotFoundError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def generate(args):
    page = rel(args.doc, args.root)
    os.makedirs(args.out, exist_ok=True)
    cpp, cmake, ini, errors = classify(parse(args.doc), page)
    frags = [b for b in cpp if not b.program]
    programs = [b for b in cpp if b.program]
    if frags or errors:
        src = fragment_source(frags, page, errors)
        # A page the harness cannot read fails to compile, naming the place.
        for e in errors:
            where, what = e.split(": ", 1)
            file, line = where.rsplit(":", 1)
            src += f"#line {line} {cpp_string(file)}\n#error {cpp_string(what)}\n"
        write_if_changed(os.path.join(args.out, "fragments.cpp"), src)
    for b in programs:
        write_if_changed(os.path.join(args.out, b.id + ".cpp"),
                         f"// Generated from {page}:{b.line} by tests/docs/docsnip.py: do not edit.\n"
                         + numbered(b.text, b.line, page))
    manifest = [f"set(NODUS_DOC_FRAGMENTS {'ON' if frags or errors else 'OFF'})",
                "set(NODUS_DOC_PROGRAMS " + " ".join(f"{b.id}:{b.program}" for b in programs) + ")",
                f"set(NODUS_DOC_CMAKE {'ON' if cmake else 'OFF'})",
                f"set(NODUS_DOC_CONFIG {'ON' if ini else 'OFF'})"]
    write_if_changed(os.path.join(args.out, "snippets.cmake"), "\n".join(manifest) + "\n")
    return 0
