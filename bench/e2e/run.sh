#!/usr/bin/env bash
# End-to-end speed, distilgo vs PyTorch, same machine, same threads, one run.
#   bench/e2e/run.sh [--threads N] [--steps N] [--batches "8 16 64"] [--precisions "fp32 bf16"]
#   bench/e2e/run.sh --generic [--steps N] [--repeat N]
# --out DIR keeps each process's JSON result there (default: a temporary
# directory, removed).
# Needs Debian's python3-torch and OpenBLAS (apt-get install python3-torch
# libopenblas0-openmp). bf16 rows: distilgo's --precision bf16 against
# PyTorch under torch.autocast(bf16). --generic: distilgo's pure-Go level
# (DISTILGO_KERNELS=generic) against PyTorch fp32, both on one thread:
# fill-mask and a training step of batch 1 × 64 tokens (issue 21).
#
# PyTorch's BLAS: Debian's torch 1.13 runs its fp32 matmuls on the system's
# libblas.so.3, which with only libblas3 installed is the netlib reference
# BLAS (single-threaded, ~2 GFLOP/s: 20-30x slower than OpenBLAS here). This
# script runs PyTorch on OpenBLAS's OpenMP build through LD_LIBRARY_PATH,
# whatever the system default, with its threads set to --threads (the OpenMP
# build follows torch.set_num_threads and shares torch's OpenMP pool), and
# with OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset so OpenBLAS picks its own
# core for the CPU (Cooperlake, its AVX-512 kernels, on Zen 5) instead of the
# Haswell these machines pin; check_blas.py first checks that core's products
# against a float64 reference and its forward loss against the pinned core's.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=$(nproc); steps=3; batches="8 16 64"; precisions="fp32"; generic=0; repeat=50; keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2;; --steps) steps=$2; shift 2;; --batches) batches=$2; shift 2;;
    --precisions) precisions=$2; shift 2;; --repeat) repeat=$2; shift 2;;
    --generic) generic=1; shift;; --out) keep=$2; shift 2;;
    *) echo "unknown flag $1" >&2; exit 2;;
  esac
done
[ "$generic" = 1 ] && threads=1
PY=/usr/bin/python3
$PY -c 'import torch' 2>/dev/null || { echo "needs Debian's python3-torch: apt-get install -y python3-torch" >&2; exit 1; }
multiarch=$(gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")
openblas=""
for d in "/usr/lib/$multiarch/openblas-openmp" "/usr/lib/$multiarch/openblas-pthread"; do
  [ -e "$d/libblas.so.3" ] && { openblas=$d; break; }
done
[ -n "$openblas" ] || { echo "needs OpenBLAS for PyTorch (the reference BLAS is ~30x slower): apt-get install -y libopenblas0-openmp" >&2; exit 1; }
# The environment PyTorch runs in (OMP_WAIT_POLICY=PASSIVE: PyTorch's faster
# setting on these machines).
pyenv=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE LD_LIBRARY_PATH="$openblas${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" OMP_WAIT_POLICY=PASSIVE)
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
if [ -n "$keep" ]; then
  mkdir -p "$keep"; out=$keep
  rm -f "$out"/go-*.json "$out"/pt-*.json "$out"/blas.json  # the table reads every result there
else
  out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
fi
go build -o "$out/e2e" ./bench/e2e
"${pyenv[@]}" $PY bench/e2e/check_blas.py --threads "$threads" > "$out/blas.json"
goenv=(env)
[ "$generic" = 1 ] && goenv=(env DISTILGO_KERNELS=generic)
run() { # name, args...
  local name=$1; shift
  "${goenv[@]}" "$out/e2e" --threads "$threads" "$@" > "$out/go-$name.json"
  "${pyenv[@]}" $PY bench/e2e/torch_bench.py --threads "$threads" "$@" > "$out/pt-$name.json"
}
if [ "$generic" = 1 ]; then
  # The shapes of BENCHMARKS.md's "Fill-mask and a training step at the
  # generic level" table.
  run "train1x64-fp32" --mode train --batch 1 --seq 64 --steps "$steps"
  run "fillmask-fp32" --mode fillmask --repeat "$repeat"
else
  # Each work at every precision back to back, so their ratio sees one load.
  for b in $batches; do
    for p in $precisions; do run "train$b-$p" --mode train --batch "$b" --steps "$steps" --precision "$p"; done
  done
  for p in $precisions; do run "eval64-$p" --mode eval --batch 64 --steps "$steps" --precision "$p"; done
  for p in $precisions; do run "fillmask-$p" --mode fillmask --repeat "$repeat" --precision "$p"; done
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
$PY bench/e2e/table.py "$out"
