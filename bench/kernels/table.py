#!/usr/bin/env python3
"""Turns the lines of main.go and numpy_gemm.py into a Markdown table:
one row per (case, threads), GFLOP/s and % of the measured FMA peak per
implementation, and distilgo's best level against OpenBLAS and gonum."""
import sys
from collections import OrderedDict

rows = OrderedDict()
peaks = {}
impls = []
for line in sys.stdin:
    if line.startswith("#") or not line.strip():
        if line.startswith("# ") and "impl" not in line:
            print(line.strip())
        continue
    impl, level, case, m, n, k, batch, threads, g, peak, pct = line.split("\t")[:11]
    key = (case, int(m), int(n), int(k), int(batch), int(threads))
    col = impl if impl != "distilgo" else "distilgo-" + level
    if col not in impls:
        impls.append(col)
    rows.setdefault(key, {})[col] = float(g)
    if impl == "distilgo":
        peaks[(level, int(threads))] = float(peak)

best_level = next((c[len("distilgo-"):] for c in impls if c.startswith("distilgo-")), None)
hdr = ["case", "M×N×K", "batch", "thr"] + impls + ["best/OpenBLAS", "best/gonum"]
print("| " + " | ".join(hdr) + " |")
print("|" + "---|" * len(hdr))
for (case, m, n, k, batch, th), vals in rows.items():
    cells = [case, "%d×%d×%d" % (m, n, k), str(batch), str(th)]
    peak = peaks.get((best_level, th), 0)
    for c in impls:
        g = vals.get(c)
        if g is None:
            cells.append("")
            continue
        lp = peaks.get((c[len("distilgo-"):], th), peak) if c.startswith("distilgo-") else peak
        cells.append("%.1f (%.0f%%)" % (g, 100 * g / lp) if lp else "%.1f" % g)
    best = vals.get("distilgo-" + best_level, 0) if best_level else 0
    ob = next((v for c, v in vals.items() if c == "openblas"), 0)
    gn = vals.get("gonum", 0)
    cells.append("%.2f×" % (best / ob) if ob else "")
    cells.append("%.1f×" % (best / gn) if gn else "")
    print("| " + " | ".join(cells) + " |")
print()
print("Peaks (GFLOP/s, measured FMA chains): " + ", ".join("%s %d thr: %.0f" % (l, t, p) for (l, t), p in sorted(peaks.items())))
print("Percentages: of the measured peak of the same level and thread count (OpenBLAS and gonum: of the best level's).")
