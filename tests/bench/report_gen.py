#!/usr/bin/env python3
"""Writes a synthetic taskleak/1 report with N units (default 1,000,000) for bench-report.sh.

The units are spread over a few dozen groups (verdict x reason x stacks), the way a real program
that leaks in a handful of places looks: many units, few distinct stacks. Every field of docs/json-schema.md
is present so the loader does its full work.
Usage: report_gen.py OUT [UNITS]
"""
import sys

REASONS = [("chan receive", True), ("mutex lock", True), ("cond wait", True),
           ("IO wait", False), ("sleep", False), ("WaitGroup wait", True)]
VERDICTS = ["leaked", "blocked", "deadlocked"]
NSTACKS = 40


def frames(i):
    fr = []
    for d in range(6):
        off = 0x1000 + i * 0x40 + d * 0x10
        fr.append('{"ip":"0x%x","module":%d,"offset":"0x%x","function":"fn_%d_%d"}'
                  % (0x555555554000 + off, 0, off, i, d))
    fr.append('{"ip":"0x7ffff7c94ac3","module":1,"offset":"0x94ac3","function":"start_thread"}')
    return "[" + ",".join(fr) + "]"


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000000
    ngroups = 30
    w = open(out, "w", buffering=1 << 22)
    w.write('{"schema":"taskleak/1","kind":"exit",'
            '"process":{"pid":4242,"ppid":1,"exe":"/usr/bin/bench-leaker",'
            '"argv":["bench-leaker","--n","%d"],"started":"2026-01-01T00:00:00Z",'
            '"written":"2026-01-01T00:00:30Z"},' % n)
    w.write('"options":{"threshold":"10s","grace":"1s","max_units":%d},' % n)
    w.write('"summary":{"threads_created":%d,"tasks_created":0,"alive":%d,"leaked":%d,'
            '"deadlocked":0,"blocked":0},' % (n, n, n))
    w.write('"modules":[{"id":0,"path":"/usr/bin/bench-leaker","build_id":"00112233445566778899aabbccddeeff00112233","base":"0x555555554000"},'
            '{"id":1,"path":"/lib/x86_64-linux-gnu/libc.so.6","build_id":null,"base":"0x7ffff7c00000"}],')
    w.write('"stacks":[' + ",".join('{"id":%d,"frames":%s}' % (i, frames(i))
                                   for i in range(NSTACKS)) + "],")
    w.write('"units":[')
    per = {}
    for u in range(n):
        g = u % ngroups
        reason, durable = REASONS[g % len(REASONS)]
        verdict = VERDICTS[0] if g < 20 else VERDICTS[1]
        per.setdefault(g, []).append(u + 2)
        w.write('%s{"id":"thread:%d","kind":"thread","tid":%d,"task":null,"name":"worker-%d",'
                '"start":"fn_%d_5","state":"blocked","verdict":"%s","detached":false,'
                '"wait":{"reason":"%s","call":"pthread_x","object":"0x%x","since_ms":%d,'
                '"durable":%s,"owner":null},"created_by":"thread:1","created_stack":%d,'
                '"blocked_stack":%d,"label":null}'
                % ("," if u else "", u + 2, 1000 + u, u % 64, g, verdict, reason,
                   0x7fff0000 + g * 64, 12000 + u % 1000, "true" if durable else "false",
                   g + 10, g % 10))
    w.write('],"groups":[')
    gs = []
    for g in range(ngroups):
        reason, _ = REASONS[g % len(REASONS)]
        verdict = VERDICTS[0] if g < 20 else VERDICTS[1]
        ids = ",".join('"thread:%d"' % x for x in per.get(g, []))
        gs.append('{"verdict":"%s","kind":"thread","reason":"%s","created_stack":%d,'
                  '"blocked_stack":%d,"count":%d,"units":[%s],"wait_ms":{"min":12000,"max":12999}}'
                  % (verdict, reason, g + 10, g % 10, len(per.get(g, [])), ids))
    w.write(",".join(gs))
    w.write('],"deadlocks":[],"suppressions":[]}\n')
    w.close()


if __name__ == "__main__":
    main()
