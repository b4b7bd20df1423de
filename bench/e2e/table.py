"""Prints run.sh's comparison table from the JSON results in one directory:
go-NAME.json (bench/e2e) beside pt-NAME.json (torch_bench.py), blas.json
(check_blas.py), and, where both precisions ran, bf16 against fp32 for each
engine: the tokens/s ratio and the loss difference, checked against
BF16_LOSS_ATOL (exit status 1 past it).

    python3 bench/e2e/table.py DIR
"""

import glob
import json
import os
import sys

# Each engine runs the same initial weights and batch at both precisions and
# reports the loss of its last step; at transformers' initialisation that loss
# is ln V = 10.33 plus ~0.1, and bf16 operands (8 significant bits) move it by
# a small fraction of that ~0.1 averaged over the labelled positions
# (measured on the shared dev-zen5, 2026-12-05: at most 2e-4 for both
# engines, train B = 8, 16, 64 and eval B=64). 0.01 (0.1% of
# ln V) is 50x that; a bf16 path that went wrong (a cast in the wrong place, a
# dropped scale) moves the loss by 0.1 or more. It assumes B >= 8 (at least
# ~150 labelled positions): at a handful of positions the average is noisier.
BF16_LOSS_ATOL = 0.01


def load(path):
    with open(path) as f:
        return json.load(f)


def main():
    out = sys.argv[1]
    rows = []
    for g in sorted(glob.glob(os.path.join(out, "go-*.json"))):
        name = os.path.basename(g)[3:-5]
        rows.append((name, load(g), load(os.path.join(out, "pt-" + name + ".json"))))
    if not rows:
        sys.exit(f"table.py: no go-*.json results in {out}")
    blas = load(os.path.join(out, "blas.json"))
    a0, b0 = rows[0][1], rows[0][2]
    print(f"threads={a0['threads']} kernels={a0['kernels']} torch={b0['engine']} "
          f"blas={os.path.basename(blas['blas'].split(',')[-1])} core={blas['blas_core']} "
          f"(products within {100 * blas['worst_product_error_over_bound']:.1f}% of the fp32 error bound; "
          f"loss {blas['loss']:.6f} vs {blas['pinned_loss']:.6f} on core {blas['pinned_core']})")
    print("| work | precision | distilgo tok/s | ms/step | PyTorch tok/s | ms/step | speed ratio | per CPU-s "
          "| distilgo GFLOP/s | loss (ours / PyTorch) | peak RSS MiB (ours / PyTorch) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    # speed ratio: distilgo's speed over PyTorch's (tokens/s, or PyTorch's p50
    # latency over ours), > 1 where distilgo is faster; per CPU-s: the same
    # per second of each process's own CPU time (steadier on a shared machine).
    rows.sort(key=lambda r: (r[1]["mode"], r[1]["batch"], r[1]["seq_len"], r[1].get("precision", "fp32")))
    for name, a, b in rows:
        p = a.get("precision", "fp32")
        cpu = ""
        if a.get("tokens_per_cpu_s") and b.get("tokens_per_cpu_s"):
            cpu = f"{a['tokens_per_cpu_s'] / b['tokens_per_cpu_s']:.2f}"
        rss = f"{a['peak_rss_mib']:.0f} / {b['peak_rss_mib']:.0f}"
        if a["mode"] == "fillmask":
            print(f"| fill-mask p50 / p95 ms | {p} | | {a['p50_ms']:.1f} / {a['p95_ms']:.1f} | "
                  f"| {b['p50_ms']:.1f} / {b['p95_ms']:.1f} | {b['p50_ms'] / a['p50_ms']:.2f} | {cpu} | | | {rss} |")
        else:
            shape = f"B={a['batch']}" + ("" if a["seq_len"] == 128 else f" T={a['seq_len']}")
            print(f"| {a['mode']} {shape} | {p} | {a['tokens_per_s']:.0f} | {a['step_ms']:.0f} | {b['tokens_per_s']:.0f} "
                  f"| {b['step_ms']:.0f} | {a['tokens_per_s'] / b['tokens_per_s']:.2f} | {cpu} | {a['gflop_per_s']:.0f} "
                  f"| {a['loss']:.4f} / {b['loss']:.4f} | {rss} |")
    # bf16 over fp32, each engine (same run).
    by = {name: (a, b) for name, a, b in rows}
    bad = []
    for name, (a, b) in sorted(by.items()):
        if not name.endswith("-bf16") or name[:-5] + "-fp32" not in by:
            continue
        a32, b32 = by[name[:-5] + "-fp32"]
        line = (f"{name[:-5]}: bf16/fp32 tokens/s distilgo {a['tokens_per_s'] / a32['tokens_per_s']:.2f}x, "
                f"PyTorch {b['tokens_per_s'] / b32['tokens_per_s']:.2f}x")
        if a["mode"] != "fillmask":
            da, db = abs(a["loss"] - a32["loss"]), abs(b["loss"] - b32["loss"])
            line += f"; |loss bf16 - fp32| distilgo {da:.4f}, PyTorch {db:.4f} (bound {BF16_LOSS_ATOL})"
            bad += [f"{e} {name[:-5]}" for e, d in (("distilgo", da), ("PyTorch", db)) if d > BF16_LOSS_ATOL]
        print(line)
    if bad:
        sys.exit("table.py: bf16 loss differs from fp32 by more than " + str(BF16_LOSS_ATOL) + ": " + ", ".join(bad))


if __name__ == "__main__":
    main()
