#!/bin/sh
# `make bench` fragment: how long `taskleak attach` keeps a process stopped, beside
# `gdb -p PID -batch -ex 'thread apply all bt'` and `eu-stack -p PID` on the same process
# (docs/internals.md, Performance bars: no longer than twice eu-stack's stop, which only reads
# stacks; the issue's target is a few ms for tens of threads on an idle machine). The target
# (tests/bench/att_ticker.c) has 40 threads, one of which measures from inside the longest time
# it could not run; each tool runs three times and the shortest stop counts (the machine is
# shared: a longer one also measures the neighbours). taskleak attach's own figure (--verbose,
# first interrupt to last detach) is printed beside it, and each tool's wall time.
# Prints: | what | ours | peer | ratio | bar | ok? |
set -eu
build=${1:-build}
tool="$build/bin/taskleak-attach"
target="$build/bench/att_ticker"
[ -x "$tool" ] && [ -x "$target" ] || { echo "bench-attach: $tool or $target is not built" >&2; exit 1; }
python3 - "$tool" "$target" <<'PY'
import re, subprocess, sys, time
tool, target = sys.argv[1:3]
p = subprocess.Popen([target], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
assert p.stdout.readline().strip() == "ready"
def gap():
    p.stdin.write("\n"); p.stdin.flush()
    return float(p.stdout.readline())
time.sleep(0.2)
gap()
pid = str(p.pid)
tools = {
    "taskleak attach": [tool, "--verbose", pid],
    "gdb": ["gdb", "-p", pid, "-batch", "-ex", "thread apply all bt"],
    "eu-stack": ["eu-stack", "-p", pid],
}
best = {}
for name, cmd in tools.items():
    for _ in range(3):
        gap()
        t0 = time.monotonic()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.monotonic() - t0
        stop = gap()
        own = re.search(r"for ([0-9.]+) ms", r.stderr)
        row = (stop, wall, float(own.group(1)) if own else None)
        if name not in best or stop < best[name][0]:
            best[name] = row
p.kill()
ours, gdb, eu = best["taskleak attach"], best["gdb"], best["eu-stack"]
ok = "yes" if ours[0] <= 2 * eu[0] else "no"
print("| taskleak attach: process with 40 threads stopped for (own count %.1f ms; wall %.2f s) "
      "| %.1f ms | gdb %.1f ms (wall %.2f s), eu-stack %.1f ms (wall %.2f s) | %.2f of eu-stack, "
      "%.3f of gdb | <= 2x eu-stack | %s |"
      % (ours[2] or -1, ours[1], ours[0], gdb[0], gdb[1], eu[0], eu[1],
         ours[0] / eu[0] if eu[0] else 0, ours[0] / gdb[0] if gdb[0] else 0, ok))
PY
