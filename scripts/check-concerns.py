#!/usr/bin/env python3
"""No import circle between concerns (ARCHITECTURE.md, "Floors").

A concern is a top-level folder or file of src/. Every `crate::NAME` path outside test code (files
named tests.rs and the like, and what follows `#[cfg(test)]`) is an edge from its file's concern to
NAME. Exits 1 and names the circle's edges when the graph of concerns has a cycle; `--graph` prints
the edges. Circles inside one concern's folder are not looked at.

`--cargo-modules FILE` checks instead the graph drawn by cargo-modules, a tool that resolves every
`use` with rust-analyzer (slow: about five minutes here, so not in the test command):

    cargo modules dependencies --lib --no-externs --no-sysroot --no-fns --no-types --no-traits > FILE
    python3 scripts/check-concerns.py --cargo-modules FILE
"""
import collections
import os
import re
import sys

ROOT = "src"
TEST_FILES = {"tests.rs", "proptests.rs", "sample_tests.rs", "test_support.rs"}


def edges():
    found = collections.defaultdict(dict)
    for folder, _, files in os.walk(ROOT):
        for name in files:
            if not name.endswith(".rs") or name in TEST_FILES:
                continue
            path = os.path.join(folder, name)
            concern = os.path.relpath(path, ROOT).split(os.sep)[0].removesuffix(".rs")
            text = open(path, encoding="utf-8").read().split("#[cfg(test)]")[0]
            for target in re.findall(r"crate::([a-z_]+)", text):
                if target != concern:
                    found[concern].setdefault(target, path)
    return found


def cargo_modules_edges(path):
    """The "uses" edges of cargo-modules' dot output, between the concerns they start and end in."""
    found = collections.defaultdict(dict)
    pattern = re.compile(r'"pieces::([a-z_]+)[^"]*" -> "pieces::([a-z_]+)[^"]*" \[label="uses"')
    for line in open(path, encoding="utf-8"):
        match = pattern.search(line)
        if match and match.group(1) != match.group(2):
            found[match.group(1)].setdefault(match.group(2), line.strip().split(" [")[0])
    return found


def cycles(graph):
    """Strongly connected components of more than one concern (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, {}):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    nodes = set(graph) | {t for targets in graph.values() for t in targets}
    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return out


def main():
    if "--cargo-modules" in sys.argv:
        graph = cargo_modules_edges(sys.argv[sys.argv.index("--cargo-modules") + 1])
    else:
        graph = edges()
    if "--graph" in sys.argv:
        for concern in sorted(graph):
            print(f"{concern} -> {', '.join(sorted(graph[concern]))}")
    found = cycles(graph)
    for component in found:
        print("import circle between concerns: " + ", ".join(component))
        for a in component:
            for b, path in sorted(graph[a].items()):
                if b in component:
                    print(f"    {a} -> {b} (first in {path})")
    if not found:
        print(f"concerns: {len(set(graph))} with imports, no circle")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
