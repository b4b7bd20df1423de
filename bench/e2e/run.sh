#!/usr/bin/env bash
# End-to-end speed, distilgo vs PyTorch, same machine, same threads, one run.
#   bench/e2e/run.sh [--threads N] [--steps N] [--batches "8 16 64"] [--precisions "fp32 bf16"]
# Needs Debian's python3-torch (apt-get install python3-torch). bf16 rows:
# distilgo's --precision bf16 against PyTorch under torch.autocast(bf16).
# PyTorch runs with OpenBLAS's own choice of core for the CPU: the
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE that these machines export pin an older
# core (its losses were checked equal with and without them).
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=$(nproc); steps=3; batches="8 16 64"; precisions="fp32"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2;; --steps) steps=$2; shift 2;; --batches) batches=$2; shift 2;;
    --precisions) precisions=$2; shift 2;;
    *) echo "unknown flag $1" >&2; exit 2;;
  esac
done
PY=/usr/bin/python3
$PY -c 'import torch' 2>/dev/null || { echo "needs Debian's python3-torch: apt-get install -y python3-torch" >&2; exit 1; }
out=$(mktemp -d)
go build -o "$out/e2e" ./bench/e2e
export OMP_WAIT_POLICY=PASSIVE  # PyTorch's faster setting on these machines
run() { # name, args...
  local name=$1; shift
  "$out/e2e" --threads "$threads" "$@" > "$out/go-$name.json"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $PY bench/e2e/torch_bench.py --threads "$threads" "$@" > "$out/pt-$name.json"
}
# Each work at every precision back to back, so their ratio sees one load.
for b in $batches; do
  for p in $precisions; do run "train$b-$p" --mode train --batch "$b" --steps "$steps" --precision "$p"; done
done
for p in $precisions; do run "eval64-$p" --mode eval --batch 64 --steps "$steps" --precision "$p"; done
for p in $precisions; do run "fillmask-$p" --mode fillmask --repeat 50 --precision "$p"; done
$PY - "$out" <<'PYEOF'
import json, glob, os, sys
out = sys.argv[1]
rows = []
for g in sorted(glob.glob(os.path.join(out, "go-*.json"))):
    name = os.path.basename(g)[3:-5]
    a = json.load(open(g)); b = json.load(open(os.path.join(out, "pt-" + name + ".json")))
    rows.append((name, a, b))
print(f"threads={rows[0][1]['threads']} kernels={rows[0][1]['kernels']} torch={rows[0][2]['engine']}")
print("| work | precision | distilgo tok/s | ms/step | PyTorch tok/s | ms/step | ratio | distilgo GFLOP/s | peak RSS MiB (ours / PyTorch) |")
print("|---|---|---|---|---|---|---|---|---|")
rows.sort(key=lambda r: (r[1]["mode"], r[1]["batch"], r[1].get("precision", "fp32")))
for name, a, b in rows:
    p = a.get("precision", "fp32")
    if a["mode"] == "fillmask":
        print(f"| fill-mask p50 / p95 ms | {p} | | {a['p50_ms']:.1f} / {a['p95_ms']:.1f} | | {b['p50_ms']:.1f} / {b['p95_ms']:.1f} | {b['p50_ms']/a['p50_ms']:.2f}x faster | | {a['peak_rss_mib']:.0f} / {b['peak_rss_mib']:.0f} |")
    else:
        print(f"| {a['mode']} B={a['batch']} | {p} | {a['tokens_per_s']:.0f} | {a['step_ms']:.0f} | {b['tokens_per_s']:.0f} | {b['step_ms']:.0f} | {a['tokens_per_s']/b['tokens_per_s']:.2f} | {a['gflop_per_s']:.0f} | {a['peak_rss_mib']:.0f} / {b['peak_rss_mib']:.0f} |")
# bf16 over fp32, each engine (same run).
by = {name: (a, b) for name, a, b in rows}
for name, (a, b) in sorted(by.items()):
    if name.endswith("-bf16") and name[:-5] + "-fp32" in by and a["mode"] != "fillmask":
        a32, b32 = by[name[:-5] + "-fp32"]
        print(f"{name[:-5]}: bf16/fp32 tokens/s distilgo {a['tokens_per_s']/a32['tokens_per_s']:.2f}x, PyTorch {b['tokens_per_s']/b32['tokens_per_s']:.2f}x")
PYEOF
rm -rf "$out"
