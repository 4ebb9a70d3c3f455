#!/usr/bin/env python3
"""The detector's include graph, checked against its layers (`make lint` and `make check` run it).

The detector's sources live in layer folders; data flows up through them and includes point down:

    common/  <-  preload/base/  <-  preload/record/  <-  preload/analysis/  <-  preload/output/
             <-  preload/interpose/

A file may include headers of its own layer or of a lower one, never of a higher one. A module is a
file's folder and name without extension (preload/record/tl_registry.c and .h are one module), and
the graph of modules (an edge for each include) must have no cycle; a private header tl_x_int.h or
tl_x_impl.h belongs to module tl_x. Every source file under
preload/ lies in a layer folder (preload/taskleak.h, the public API header, is the one exception),
and report/ (the report tool) includes from common/ and report/ only.

Prints each violation on stderr and exits 1 if there is any; `--dot` prints the module graph in
Graphviz form instead. Checks the checkout it lives in, or the one named by its first argument.
"""
import os
import re
import sys

LAYERS = ["common", "preload/base", "preload/record", "preload/analysis", "preload/output",
          "preload/interpose"]
TOP_EXEMPT = {"preload/taskleak.h"}  # the installed public header: no engine code
SOURCE = re.compile(r"\.(c|h|inc|S)$")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources(root, folder):
    d = os.path.join(root, folder)
    if not os.path.isdir(d):
        return []
    return sorted(folder + "/" + n for n in os.listdir(d) if SOURCE.search(n))


def includes(root, path):
    with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
        return INCLUDE.findall(f.read())


def module(path):
    """tl_x_int.h and tl_x_impl.h are the private headers of module tl_x."""
    return re.sub(r"_(int|impl)$", "", os.path.splitext(path)[0])


def find_cycles(graph):
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, n = {}, {}, set(), [], [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = n[0]; n[0] += 1
        stack.append(start); on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = n[0]; n[0] += 1
                    stack.append(w); on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop(); on.discard(w); comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def main(argv):
    dot = "--dot" in argv
    args = [a for a in argv if a != "--dot"]
    root = args[0] if args else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    errors = []
    files = {}  # path -> layer index
    for i, layer in enumerate(LAYERS):
        for p in sources(root, layer):
            files[p] = i
    by_name = {}
    for p in files:
        by_name.setdefault(os.path.basename(p), []).append(p)
    for name, paths in sorted(by_name.items()):
        if len(paths) > 1:
            errors.append("%s: one name in two layers (%s)" % (name, ", ".join(paths)))
    for p in sources(root, "preload"):
        if p not in TOP_EXEMPT:
            errors.append("%s: not in a layer (file it under one of %s)" % (p, ", ".join(LAYERS[1:])))
    known = set(LAYERS) | {"preload"}
    for n in sorted(os.listdir(os.path.join(root, "preload"))):
        if os.path.isdir(os.path.join(root, "preload", n)) and "preload/" + n not in known:
            errors.append("preload/%s/: not a layer folder" % n)
    graph = {module(p): set() for p in files}
    for p, layer in sorted(files.items()):
        for inc in includes(root, p):
            target = by_name.get(os.path.basename(inc))
            if not target or "/" in inc:
                continue  # a system, runtime or relative header: not an engine module
            t = target[0]
            if files[t] > layer:
                errors.append("%s includes %s: upward, from %s into %s" %
                              (p, inc, LAYERS[layer], LAYERS[files[t]]))
            if module(t) != module(p):
                graph[module(p)].add(module(t))
    for comp in find_cycles(graph):
        errors.append("include cycle among %d modules: %s" % (len(comp), " ".join(comp)))
    for p in sources(root, "report"):
        for inc in includes(root, p):
            if os.path.basename(inc) in by_name and not by_name[inc][0].startswith("common/"):
                errors.append("%s includes %s: the report tool builds from common/ only" %
                              (p, by_name[inc][0]))
    if dot:
        print("digraph includes {")
        for m in sorted(graph):
            for t in sorted(graph[m]):
                print('  "%s" -> "%s";' % (m, t))
        print("}")
        return 0
    for e in errors:
        print("include-graph: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
