#!/usr/bin/env python3
"""make bench's report: turns the guest's @@BENCH lines into results.json,
results.md and SVG plots (written by hand, no plotting library).

Usage: bench-report.py CONSOLE_LOG [CONSOLE_LOG...] OUT_DIR

Every figure is the median of the repetitions; "spread" gives, per side,
min, max and the number of repetitions. Ratios and overheads are computed
from the medians. The datapath samples named *_icount come from a guest
run under QEMU's icount, where a guest second is 10^9 guest instructions:
they count instructions rather than time.
"""
import json
import math
import statistics
import sys
from collections import defaultdict

SIDES_ORDER = ["ours", "netns", "vrf", "no_module", "ctx0", "solo"]


def parse(paths):
    samples = defaultdict(lambda: defaultdict(list))
    info = {}
    for path in paths:
        parse_one(path, samples, info)
    return samples, info


def parse_one(path, samples, info):
    with open(path, errors="replace") as f:
        for line in f:
            i = line.find("@@BENCH ")
            if i < 0:
                continue
            w = line[i + 8:].split()
            if len(w) >= 4 and w[0] == "sample":
                count = float(w[4]) if len(w) > 4 else 1.0
                samples[w[1]][w[2]].append((float(w[3]), count))
            elif len(w) >= 2 and w[0] == "info":
                info.setdefault(w[1], []).append(" ".join(w[2:]))


def stats(values):
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def rnd(x):
    if x is None:
        return None
    if x == 0:
        return 0
    digits = max(0, 3 - int(math.floor(math.log10(abs(x)))))
    return round(x, digits)


class Report:
    def __init__(self, samples, info):
        self.samples = samples
        self.info = info
        self.results = []

    def side_values(self, name, side, conv):
        return [conv(v, c) for v, c in self.samples.get(name, {}).get(side, [])]

    def add(self, bench, unit, name, conv, ours="ours", baselines=(), extra=None,
            better="lower"):
        """One result: `ours` side and baseline sides of sample `name`."""
        sides = {}
        for s in (ours,) + tuple(baselines):
            key = s if isinstance(s, str) else s[0]
            vals = self.side_values(name, key, conv)
            if vals:
                sides[key] = stats(vals)
        if ours not in sides:
            return None
        r = {
            "benchmark": bench,
            "unit": unit,
            "ours": rnd(sides[ours]["median"]),
            "baseline": {},
            "spread": {},
        }
        for b in baselines:
            key, label = (b, b) if isinstance(b, str) else b
            if key in sides:
                r["baseline"][label] = rnd(sides[key]["median"])
        for key, st in sides.items():
            label = "ours" if key == ours else dict(
                (b if isinstance(b, str) else b[0], b if isinstance(b, str) else b[1])
                for b in baselines)[key]
            r["spread"][label] = {k: rnd(st[k]) for k in ("min", "max", "n")}
        r["better"] = better
        if extra:
            r.update(extra(r))
        self.results.append(r)
        return r


def ratios(r):
    """baseline / ours, for 'lower is better' figures."""
    return {"ratio": {k: rnd(v / r["ours"]) for k, v in r["baseline"].items() if r["ours"]}}


def overheads(r):
    """How much lower than no_module ours and the others are, in % (higher is better)."""
    ref = r["baseline"].get("no_module")
    if not ref:
        return {}
    o = {"ours": rnd((ref - r["ours"]) / ref * 100)}
    for k, v in r["baseline"].items():
        if k != "no_module":
            o[k] = rnd((ref - v) / ref * 100)
    return {"overhead_pct_vs_no_module": o}


def overheads_latency(r):
    ref = r["baseline"].get("no_module")
    if not ref:
        return {}
    o = {"ours": rnd((r["ours"] - ref) / ref * 100)}
    for k, v in r["baseline"].items():
        if k != "no_module":
            o[k] = rnd((v - ref) / ref * 100)
    return {"overhead_pct_vs_no_module": o}


ICOUNT = "_icount"
# Under icount a guest nanosecond is one guest instruction.
ICOUNT_UNITS = {
    "transactions per second": "transactions per 10^9 instructions",
    "us per transaction": "10^3 instructions per transaction",
    "Mbit/s": "Mbit per 10^9 instructions",
    "us per UDP transaction": "10^3 instructions per UDP transaction",
    "ms": "10^6 instructions",
    "us per object": "10^3 instructions per object",
    "us per context": "10^3 instructions per context",
}


def build(samples, info):
    """The results of the samples, then those of the icount guest's
    (samples named *_icount), renamed and in instruction units; their
    memory figures repeat the first guest's and are left out, and so are
    targets given in time."""
    plain = {n: v for n, v in samples.items() if not n.endswith(ICOUNT)}
    counted = {n[:-len(ICOUNT)]: v for n, v in samples.items() if n.endswith(ICOUNT)}
    results = build_one(plain, info)
    for r in build_one(counted, info):
        if r["unit"] not in ICOUNT_UNITS:
            continue
        if r["unit"] == "ms":
            r.pop("target", None)
            r.pop("met", None)
        r["benchmark"] += ICOUNT
        r["unit"] = ICOUNT_UNITS[r["unit"]]
        results.append(r)
    return results


def build_one(samples, info):
    rep = Report(samples, info)
    per_obj_us = lambda v, c: v / c / 1000.0
    per_obj_bytes = lambda v, c: v * 1024.0 / c
    ms = lambda v, c: v / 1e6
    ident = lambda v, c: v
    for b in ("create", "delete"):
        r = rep.add(b, "us per object", b, per_obj_us, baselines=("netns", "vrf"), extra=ratios)
        if r:
            r["target"] = ">= 50x faster than netns and >= 20x faster than VRF"
            rt = r.get("ratio", {})
            r["met"] = rt.get("netns", 0) >= 50 and rt.get("vrf", 0) >= 20
    for b, name in (("memory_per_context", "memory_per_context"),
                    ("slab_per_context", "slab_per_context")):
        r = rep.add(b, "bytes per object", name, per_obj_bytes, baselines=("netns", "vrf"),
                    extra=ratios)
        if r:
            r["target"] = "<= 1 KB (1024 bytes) per empty context"
            r["met"] = r["ours"] <= 1024
    for name in sorted(samples, key=lambda n: (len(n), n)):
        if name.startswith("list_empty_"):
            r = rep.add(name, "ms", name, ms)
            if r and int(name.rsplit("_", 1)[1]) >= 65536:
                r["target"] = "<= 1000 ms"
                r["met"] = r["ours"] <= 1000
    steps = sorted(int(k) for k in samples.get("scale_create", {}))
    prev = 0
    for st in steps:
        for b in ("scale_create", "scale_delete"):
            vals = [per_obj_us(v, c) for v, c in samples.get(b, {}).get(str(st), [])]
            if vals:
                rep.results.append({
                    "benchmark": f"{b}_{st}", "unit": "us per context",
                    "ours": rnd(statistics.median(vals)), "baseline": {},
                    "spread": {"ours": {"min": rnd(min(vals)), "max": rnd(max(vals)), "n": len(vals)}},
                    "better": "lower",
                    "note": f"the batch of contexts {prev + 1}..{st} (empty contexts)"})
        for b in ("memory_per_context_scale", "slab_per_context_scale"):
            vals = [per_obj_bytes(v, c) for v, c in samples.get(b, {}).get(str(st), [])]
            if vals:
                rep.results.append({
                    "benchmark": f"{b}_{st}", "unit": "bytes per context",
                    "ours": rnd(statistics.median(vals)), "baseline": {},
                    "spread": {"ours": {"min": rnd(min(vals)), "max": rnd(max(vals)), "n": len(vals)}},
                    "better": "lower", "note": f"{st} empty contexts alive"})
        prev = st
    # Lookup curve.
    points = sorted(int(n.split("_")[1]) for n in samples if n.startswith("lookup_"))
    for pt in points:
        name = f"lookup_{pt}"
        r = rep.add(f"lookup_{pt}_vs_1", "us per UDP transaction", name, ident,
                    ours="many", baselines=(("solo", "one_context"),))
        if r:
            one = r["baseline"].get("one_context")
            r["ratio_to_one"] = rnd(r["ours"] / one) if one else None
            s = r["spread"]
            # "Within noise": the medians differ by no more than the larger
            # of the two sides' min-max ranges, and never less than 3 %.
            o = s.get("one_context", {"max": 0, "min": 0})
            noise = max(s["ours"]["max"] - s["ours"]["min"], o["max"] - o["min"],
                        0.03 * (one or 0))
            r["target"] = "same as with one context, within noise (min-max range, at least 3 %)"
            r["met"] = one is not None and abs(r["ours"] - one) <= noise
    for pt in points:
        name = f"list_{pt}"
        r = rep.add(name, "ms", name, ms)
        if r:
            r["note"] = "each context has an interface and a UDP socket"
            if pt >= 65536:
                r["target"] = "<= 1000 ms"
                r["met"] = r["ours"] <= 1000
    for pt in points:
        for b in ("memory_per_context_with_iface_socket", "slab_per_context_with_iface_socket"):
            vals = [per_obj_bytes(v, c) for v, c in samples.get(b, {}).get(str(pt), [])]
            if vals:
                rep.results.append({"benchmark": f"{b}_{pt}", "unit": "bytes per context",
                                    "ours": rnd(statistics.median(vals)), "baseline": {},
                                    "spread": {"ours": {"min": rnd(min(vals)), "max": rnd(max(vals)),
                                                        "n": len(vals)}}, "better": "lower"})
    dp = ("no_module", "vrf", ("ctx0", "ctx0_module_loaded"))
    for b, unit, extra, better in (
            ("udp_rr", "transactions per second", overheads, "higher"),
            ("udp_rr_latency", "us per transaction", overheads_latency, "lower"),
            ("tcp_stream", "Mbit/s", overheads, "higher")):
        r = rep.add(b, unit, b, ident, baselines=dp, extra=extra, better=better)
        if r and b != "udp_rr_latency":
            r["target"] = "overhead <= 1 % vs no_module and lower than VRF's"
            o = r.get("overhead_pct_vs_no_module", {})
            r["met"] = ("ours" in o and o["ours"] <= 1
                        and ("vrf" not in o or o["ours"] < o["vrf"]))
    return rep.results


def fmt(x):
    if x is None:
        return "–"
    if isinstance(x, float) and x.is_integer() and abs(x) >= 100:
        return f"{int(x):,}"
    if isinstance(x, float):
        return f"{x:,.3g}" if abs(x) < 100 else f"{x:,.0f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def spread_text(r, side):
    s = r["spread"].get(side)
    if not s:
        return ""
    if s["n"] < 2:
        return ""
    return f" ({fmt(s['min'])}–{fmt(s['max'])})"


def markdown(results, info):
    n = info.get("N", ["?"])[0]
    lines = [
        "# make bench results",
        "",
        f"One guest, one boot: kernel {info.get('kernel', ['?'])[0]}, "
        f"{info.get('cpus', ['?'])[0]} vCPU under QEMU TCG, "
        f"{int(info.get('mem_total_kb', ['0'])[0]) // 1024} MiB; N = {n}; "
        f"guest run {info.get('total_s', ['?'])[0]} s. "
        "Each figure is the median of the repetitions, (min–max) after it."
        + (" The *_icount rows come from a second boot under QEMU's icount, where a "
           "guest second is 10^9 guest instructions: they count instructions, not time."
           if any(r["benchmark"].endswith(ICOUNT) for r in results) else ""),
        "",
        "| benchmark | unit | ours | netns | vrf | no module | other | ratio / overhead | target | met |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        b = r["baseline"]
        other = ", ".join(f"{k}: {fmt(v)}{spread_text(r, k)}" for k, v in b.items()
                          if k not in ("netns", "vrf", "no_module"))
        rel = ""
        if "ratio" in r:
            rel = ", ".join(f"{k}/ours {fmt(v)}×" for k, v in r["ratio"].items())
        if "ratio_to_one" in r and r["ratio_to_one"] is not None:
            rel = f"{fmt(r['ratio_to_one'])}× one context"
        if "overhead_pct_vs_no_module" in r:
            rel = ", ".join(f"{k} {fmt(v)} %" for k, v in r["overhead_pct_vs_no_module"].items())
        met = {True: "yes", False: "**no**"}.get(r.get("met"), "")
        cell = lambda k: (fmt(b[k]) + spread_text(r, k)) if k in b else ""
        lines.append(
            f"| {r['benchmark']} | {r['unit']} | {fmt(r['ours'])}{spread_text(r, 'ours')} | "
            f"{cell('netns')} | {cell('vrf')} | {cell('no_module')} | {other} | {rel} | "
            f"{r.get('target', '')} | {met} |")
    grows = info.get("lookup_grow", [])
    if grows:
        lines += ["", "Building the lookup setup (ns per step, for the whole range):", ""]
        lines += [f"- {g}" for g in grows]
    lines += ["", "Plots: create_delete.svg, memory.svg, scale.svg, lookup.svg, list.svg, "
              "memory_curve.svg, datapath.svg, lookup_icount.svg.", ""]
    return "\n".join(lines)


# --- SVG -------------------------------------------------------------------

COLORS = {"create": "#1f77b4", "delete": "#d62728", "ours": "#1f77b4", "netns": "#d62728", "vrf": "#ff7f0e", "no_module": "#2ca02c",
          "ctx0_module_loaded": "#9467bd", "one_context": "#7f7f7f", "many": "#1f77b4"}


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def svg_doc(w, h, body, title):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">\n'
            f'<rect width="{w}" height="{h}" fill="white"/>\n'
            f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="15">{esc(title)}</text>\n'
            + "\n".join(body) + "\n</svg>\n")


def bar_chart(groups, title, ylabel, log=False):
    """groups: [(group label, [(series, value, lo, hi)])]."""
    W, H, L, R, T, B = 760, 420, 80, 150, 40, 60
    vals = [v for _, ser in groups for _, v, lo, hi in ser for v in (v, lo, hi) if v is not None]
    if not vals:
        return None
    vmax = max(vals)
    vmin = min(v for v in vals if v > 0) if log else 0
    if log:
        lo_e = math.floor(math.log10(vmin))
        hi_e = math.ceil(math.log10(vmax))
        hi_e = hi_e if hi_e > lo_e else lo_e + 1
        y = lambda v: T + (H - T - B) * (1 - (math.log10(max(v, 10 ** lo_e)) - lo_e) / (hi_e - lo_e))
        ticks = [10 ** e for e in range(lo_e, hi_e + 1)]
    else:
        top = vmax * 1.1
        y = lambda v: T + (H - T - B) * (1 - v / top)
        step = 10 ** math.floor(math.log10(top / 5 if top > 0 else 1))
        ticks = [i * step for i in range(0, int(top / step) + 1)]
        if len(ticks) > 12:
            ticks = ticks[::2]
    body = [f'<text x="16" y="{(T + H - B) / 2}" transform="rotate(-90 16 {(T + H - B) / 2})" '
            f'text-anchor="middle">{esc(ylabel)}</text>']
    for t in ticks:
        body.append(f'<line x1="{L}" x2="{W - R}" y1="{y(t):.1f}" y2="{y(t):.1f}" stroke="#ddd"/>')
        body.append(f'<text x="{L - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{fmt(float(t))}</text>')
    gw = (W - L - R) / max(1, len(groups))
    series = []
    for _, ser in groups:
        for s, *_ in ser:
            if s not in series:
                series.append(s)
    bw = gw * 0.8 / max(1, len(series))
    for gi, (g, ser) in enumerate(groups):
        x0 = L + gi * gw + gw * 0.1
        for s, v, lo, hi in ser:
            si = series.index(s)
            x = x0 + si * bw
            base = y(10 ** lo_e) if log else y(0)
            body.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bw * 0.9:.1f}" '
                        f'height="{max(0.5, base - y(v)):.1f}" fill="{COLORS.get(s, "#555")}">'
                        f'<title>{esc(s)}: {fmt(v)}</title></rect>')
            if lo is not None and hi is not None and hi > lo:
                cx = x + bw * 0.45
                body.append(f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(lo):.1f}" y2="{y(hi):.1f}" '
                            f'stroke="black"/>')
            body.append(f'<text x="{x + bw * 0.45:.1f}" y="{y(v) - 4:.1f}" text-anchor="middle" '
                        f'font-size="10">{fmt(v)}</text>')
        body.append(f'<text x="{L + gi * gw + gw / 2:.1f}" y="{H - B + 18}" '
                    f'text-anchor="middle">{esc(g)}</text>')
    body.append(f'<line x1="{L}" x2="{W - R}" y1="{H - B}" y2="{H - B}" stroke="black"/>')
    for si, s in enumerate(series):
        body.append(f'<rect x="{W - R + 14}" y="{T + 10 + si * 20}" width="12" height="12" '
                    f'fill="{COLORS.get(s, "#555")}"/>')
        body.append(f'<text x="{W - R + 32}" y="{T + 21 + si * 20}">{esc(s)}</text>')
    if log:
        body.append(f'<text x="{L}" y="{H - 12}" font-size="10">log scale; '
                    'whiskers: min–max of the repetitions</text>')
    else:
        body.append(f'<text x="{L}" y="{H - 12}" font-size="10">whiskers: min–max of the repetitions</text>')
    return svg_doc(W, H, body, title)


def line_chart(series, title, xlabel, ylabel, logy=False):
    """series: {name: [(x, y, lo, hi)]}; x on a log2 scale."""
    W, H, L, R, T, B = 760, 420, 80, 170, 40, 60
    pts = [p for s in series.values() for p in s]
    if not pts:
        return None
    xs = [p[0] for p in pts]
    ys = [v for p in pts for v in (p[1], p[2], p[3]) if v is not None]
    x_lo, x_hi = math.log2(min(xs)), math.log2(max(xs))
    if x_hi == x_lo:
        x_hi = x_lo + 1
    X = lambda v: L + (W - L - R) * (math.log2(v) - x_lo) / (x_hi - x_lo)
    if logy:
        e_lo = math.floor(math.log10(min(v for v in ys if v > 0)))
        e_hi = math.ceil(math.log10(max(ys)))
        e_hi = e_hi if e_hi > e_lo else e_lo + 1
        Y = lambda v: T + (H - T - B) * (1 - (math.log10(max(v, 10 ** e_lo)) - e_lo) / (e_hi - e_lo))
        yt = [10 ** e for e in range(e_lo, e_hi + 1)]
    else:
        top = max(ys) * 1.15
        Y = lambda v: T + (H - T - B) * (1 - v / top)
        step = 10 ** math.floor(math.log10(top / 5))
        yt = [i * step for i in range(0, int(top / step) + 1)]
        if len(yt) > 12:
            yt = yt[::2]
    body = [f'<text x="16" y="{(T + H - B) / 2}" transform="rotate(-90 16 {(T + H - B) / 2})" '
            f'text-anchor="middle">{esc(ylabel)}</text>',
            f'<text x="{(L + W - R) / 2}" y="{H - 14}" text-anchor="middle">{esc(xlabel)}</text>']
    for t in yt:
        body.append(f'<line x1="{L}" x2="{W - R}" y1="{Y(t):.1f}" y2="{Y(t):.1f}" stroke="#ddd"/>')
        body.append(f'<text x="{L - 6}" y="{Y(t) + 4:.1f}" text-anchor="end">{fmt(float(t))}</text>')
    for xv in sorted(set(xs)):
        body.append(f'<text x="{X(xv):.1f}" y="{H - B + 18}" text-anchor="middle">{xv:,}</text>')
        body.append(f'<line x1="{X(xv):.1f}" x2="{X(xv):.1f}" y1="{T}" y2="{H - B}" stroke="#eee"/>')
    for si, (name, p) in enumerate(series.items()):
        c = COLORS.get(name, ["#1f77b4", "#7f7f7f", "#d62728"][si % 3])
        p = sorted(p)
        d = " ".join(f"{'M' if i == 0 else 'L'}{X(x):.1f},{Y(v):.1f}" for i, (x, v, _, _) in enumerate(p))
        body.append(f'<path d="{d}" fill="none" stroke="{c}" stroke-width="2"/>')
        for x, v, lo, hi in p:
            body.append(f'<circle cx="{X(x):.1f}" cy="{Y(v):.1f}" r="3" fill="{c}">'
                        f'<title>{esc(name)} {x}: {fmt(v)}</title></circle>')
            if lo is not None and hi is not None and hi > lo:
                body.append(f'<line x1="{X(x):.1f}" x2="{X(x):.1f}" y1="{Y(lo):.1f}" '
                            f'y2="{Y(hi):.1f}" stroke="{c}"/>')
        body.append(f'<rect x="{W - R + 14}" y="{T + 10 + si * 20}" width="12" height="12" fill="{c}"/>')
        body.append(f'<text x="{W - R + 32}" y="{T + 21 + si * 20}">{esc(name)}</text>')
    body.append(f'<line x1="{L}" x2="{W - R}" y1="{H - B}" y2="{H - B}" stroke="black"/>')
    return svg_doc(W, H, body, title)


def plots(results):
    by = {r["benchmark"]: r for r in results}
    counted = [dict(r, benchmark=r["benchmark"][:-len(ICOUNT)]) for r in results
               if r["benchmark"].endswith(ICOUNT)]
    results = [r for r in results if not r["benchmark"].endswith(ICOUNT)]
    out = {}

    def series_of(r, keys):
        ser = []
        for k in keys:
            v = r["ours"] if k == "ours" else r["baseline"].get(k)
            if v is None:
                continue
            s = r["spread"].get(k, {})
            ser.append((k, v, s.get("min"), s.get("max")))
        return ser

    groups = [(b, series_of(by[b], ["ours", "netns", "vrf"])) for b in ("create", "delete") if b in by]
    if groups:
        out["create_delete.svg"] = bar_chart(groups, "Create / delete, time per object (ip -batch vs vrctl -batch)",
                                             "microseconds per object", log=True)
    groups = [(b.replace("_per_context", ""), series_of(by[b], ["ours", "netns", "vrf"]))
              for b in ("memory_per_context", "slab_per_context") if b in by]
    if groups:
        out["memory.svg"] = bar_chart(groups, "Memory per object (MemAvailable and Slab deltas)",
                                      "bytes per object", log=True)
    for name, rs, ylabel in (("lookup.svg", results, "microseconds per transaction"),
                             ("lookup_icount.svg", counted,
                              "10^3 guest instructions per transaction (icount)")):
        many, one = [], []
        for r in rs:
            b = r["benchmark"]
            if b.startswith("lookup_") and b.endswith("_vs_1"):
                n = int(b.split("_")[1])
                s = r["spread"]
                many.append((n, r["ours"], s["ours"]["min"], s["ours"]["max"]))
                if "one_context" in r["baseline"]:
                    o = s["one_context"]
                    one.append((n, r["baseline"]["one_context"], o["min"], o["max"]))
        if many:
            out[name] = line_chart({"many": many, "one_context": one},
                                   "UDP request/response in context 1 with N contexts alive",
                                   "contexts alive (each: an interface, 10.0.0.1, a UDP socket on :7)",
                                   ylabel)
    lst = [(int(r["benchmark"].split("_")[1]), r["ours"], r["spread"]["ours"]["min"],
            r["spread"]["ours"]["max"]) for r in results
           if r["benchmark"].startswith("list_") and r["benchmark"].split("_")[1].isdigit()]
    if lst:
        out["list.svg"] = line_chart({"ours": lst}, "vrctl list with N contexts",
                                     "contexts (each with an interface and a UDP socket)",
                                     "milliseconds", logy=True)
    mem = [(int(r["benchmark"].rsplit("_", 1)[1]), r["ours"], None, None) for r in results
           if r["benchmark"].startswith("memory_per_context_with_iface_socket_")]
    if len(mem) > 1:
        out["memory_curve.svg"] = line_chart({"ours": mem}, "MemAvailable used per context (with interface and socket)",
                                             "contexts", "bytes per context")
    cr = [(int(r["benchmark"].rsplit("_", 1)[1]), r["ours"], None, None) for r in results
          if r["benchmark"].startswith("scale_create_")]
    de = [(int(r["benchmark"].rsplit("_", 1)[1]), r["ours"], None, None) for r in results
          if r["benchmark"].startswith("scale_delete_")]
    if cr:
        out["scale.svg"] = line_chart({"create": cr, "delete": de},
                                      "Create / delete batches of empty contexts",
                                      "contexts alive at the end of the batch",
                                      "microseconds per context", logy=True)
    groups = []
    for b in ("udp_rr", "tcp_stream", "udp_rr_icount", "tcp_stream_icount"):
        r = by.get(b)
        if not r or not r["baseline"].get("no_module"):
            continue
        ref = r["baseline"]["no_module"]
        ser = [(k, v / ref * 100, (lo or v) / ref * 100, (hi or v) / ref * 100)
               for k, v, lo, hi in series_of(r, ["ours", "ctx0_module_loaded", "no_module", "vrf"])]
        groups.append((b, ser))
    if groups:
        out["datapath.svg"] = bar_chart(groups, "Datapath, % of the kernel without the module (higher is better)",
                                        "% of no_module")
    return {k: v for k, v in out.items() if v}


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: bench-report.py CONSOLE_LOG [CONSOLE_LOG...] OUT_DIR")
    samples, info = parse(sys.argv[1:-1])
    results = build(samples, info)
    out = sys.argv[-1]
    with open(f"{out}/results.json", "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    md = markdown(results, info)
    with open(f"{out}/results.md", "w") as f:
        f.write(md)
    for name, svg in plots(results).items():
        with open(f"{out}/{name}", "w") as f:
            f.write(svg)
    print(md)
    if not results:
        sys.exit("bench-report: no results in " + " ".join(sys.argv[1:-1]))


if __name__ == "__main__":
    main()
