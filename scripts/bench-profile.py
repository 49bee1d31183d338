#!/usr/bin/env python3
"""bench-profile.py CONSOLE SYSTEM.MAP OUT: the /proc/profile dumps of a
`BENCH_PROFILE=1 make bench` console log, as the kernel functions that took
the samples (most first), written to OUT and printed."""
import base64
import bisect
import gzip
import re
import struct
import sys


def symbols(path):
    syms = []
    with open(path) as f:
        for line in f:
            addr, kind, name = line.split()[:3]
            if kind in "TtWw":
                syms.append((int(addr, 16), name))
    syms.sort()
    return syms


def histogram(raw, syms, addrs, stext):
    """Samples per function from one /proc/profile image: a step (bytes
    per bucket), then one 32-bit counter per bucket from _stext on."""
    step = struct.unpack_from("<I", raw, 0)[0]
    shift = step.bit_length() - 1
    n = (len(raw) - 4) // 4
    per = {}
    for i, c in enumerate(struct.unpack_from("<%dI" % n, raw, 4)):
        if c:
            j = bisect.bisect_right(addrs, stext + (i << shift)) - 1
            name = syms[j][1] if j >= 0 else "?"
            per[name] = per.get(name, 0) + c
    return per


def main():
    console, smap, out = sys.argv[1:4]
    syms = symbols(smap)
    addrs = [a for a, _ in syms]
    stext = next(a for a, n in syms if n == "_stext")
    text = open(console, errors="replace").read()
    times = dict(re.findall(r"@@BENCH sample profile_(\S+) ours (\d+)", text))
    lines = []
    for m in re.finditer(r"@@PROF-BEGIN (\S+)\s*\n(.*?)@@PROF-END", text, re.S):
        name = m.group(1)
        # vmrun prefixes each console line with "[vmN] ".
        words = (re.sub(r"^\[vm\d+\] ", "", l).strip() for l in m.group(2).splitlines())
        b64 = "".join(w for w in words if re.fullmatch(r"[A-Za-z0-9+/=]+", w))
        per = histogram(gzip.decompress(base64.b64decode(b64)), syms, addrs, stext)
        total = sum(per.values())
        secs = int(times.get(name, 0)) / 1e9
        lines.append(f"== {name}: {total} kernel samples, batch {secs:.2f} s")
        for fn, c in sorted(per.items(), key=lambda x: -x[1])[:40]:
            lines.append(f"{c:7d} {100 * c / max(total, 1):5.1f}% {fn}")
    if not lines:
        sys.exit(f"{console}: no /proc/profile dump")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


main()
