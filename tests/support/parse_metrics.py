#!/usr/bin/env python3
"""Parse a metrics exposition from standard input with Prometheus's own parser and print one
line per sample, `name{label="value",...} value` with the labels sorted, for the C++ tests.

    parse_metrics.py [text|openmetrics]

Exits 1 (with the parser's message on standard error) when the input does not parse, so a test
fails on any format error. Each family is also printed as `# family NAME TYPE`.
"""
import sys

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families


def main():
    fmt = sys.argv[1] if len(sys.argv) > 1 else "text"
    data = sys.stdin.read()
    parse = om_families if fmt == "openmetrics" else text_string_to_metric_families
    out = []
    try:
        for family in parse(data):
            out.append(f"# family {family.name} {family.type}")
            for s in family.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                out.append(f"{s.name}{{{labels}}} {s.value!r}")
    except Exception as e:  # any parse error fails the test
        print(f"parse error: {e}", file=sys.stderr)
        return 1
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
