#!/usr/bin/env python3
"""Check that the first C++ block after the marker line in a docs page is a file of the tree,
byte for byte, so a guide that shows a whole example cannot drift from it.

usage: same_as_file.py PAGE MARKER FILE
"""
import sys

page, marker, path = sys.argv[1:4]
text = open(page, encoding="utf-8").read()
at = text.find(marker)
if at < 0:
    sys.exit(f"{page}: no line with {marker!r}")
start = text.find("```cpp\n", at)
end = text.find("\n```", start + 7)
if start < 0 or end < 0:
    sys.exit(f"{page}: no C++ block after {marker!r}")
block = text[start + 7:end + 1]
wanted = open(path, encoding="utf-8").read()
if block != wanted:
    import difflib
    sys.stdout.writelines(difflib.unified_diff(wanted.splitlines(True), block.splitlines(True), path, page))
    sys.exit(f"{page}: the program after {marker!r} differs from {path}")
print(f"{page}: the block is {path}")
