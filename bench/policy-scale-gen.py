#!/usr/bin/env python3
"""Writes the policy files bench/policy-scale.sh checks: a Ceiling and a Task of N rules each.

  policy-scale-gen.py DIR N        ipv4: N addresses under N /24 blocks; names: N names under N **. domains
  policy-scale-gen.py DIR comment  a 1 MiB file that is one comment line, and one of 64-byte comment lines
"""
import os
import sys

HEAD = "apiVersion: taskbound.dev/v1\nkind: {kind}\nspec:\n  egress:\n    allow:\n"


def block(i):
    # 11.0.0.0/8 holds no metadata or special address; /24 blocks, 256 per second octet.
    return "11.%d.%d" % (i // 256, i % 256)


def write(path, kind, rules):
    with open(path, "w") as f:
        f.write(HEAD.format(kind=kind))
        for r in rules:
            f.write("      - '%s'\n" % r)


def main():
    out, what = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    if what == "comment":
        size = 1 << 20
        with open(os.path.join(out, "one-line.yml"), "w") as f:
            f.write("#" + "x" * (size - 2) + "\n")
        line = "#" + "x" * 62 + "\n"
        with open(os.path.join(out, "lines.yml"), "w") as f:
            f.write(line * (size // len(line)))
        return
    n = int(what)
    write(os.path.join(out, "ipv4-ceiling.yml"), "Ceiling", [block(i) + ".0/24" for i in range(n)])
    write(os.path.join(out, "ipv4-task.yml"), "Task", [block(i) + ".1" for i in reversed(range(n))])
    write(os.path.join(out, "names-ceiling.yml"), "Ceiling", ["**.d%d.example.com" % i for i in range(n)])
    write(os.path.join(out, "names-task.yml"), "Task", ["api.d%d.example.com" % i for i in reversed(range(n))])


if __name__ == "__main__":
    main()
