#!/bin/sh
# Side-by-side SGEMM comparison on this machine, in one run: distilgo (every
# kernels level), gonum's pure-Go Sgemm and OpenBLAS through numpy, at the
# same shapes and thread counts. Prints the raw lines, then a table with
# each figure as a fraction of the FMA peak measured in the same run.
#
#   sh bench/kernels/compare.sh [threads...]      (default: 1 2)
#
# Environment: PYTHON (default python3; on Debian /usr/bin/python3 has numpy
# with OpenBLAS), GO (default go), CASES (comma-separated case names).
set -eu
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
GO=${GO:-go}
THREADS=${*:-1 2}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -m) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') ; $(nproc) CPUs; load: $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out"
$GO build -o /tmp/distilgo-kernels-bench ./bench/kernels
for t in $THREADS; do
	/tmp/distilgo-kernels-bench -threads "$t" -impl distilgo ${CASES:+-cases "$CASES"} | tee -a "$out"
	# gonum runs at a few GFLOP/s: one timed call per case.
	/tmp/distilgo-kernels-bench -threads "$t" -impl gonum -reps 1 -mintime 1ms ${CASES:+-cases "$CASES"} | grep -v '^#' | tee -a "$out"
	OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t $PYTHON bench/kernels/numpy_gemm.py "$t" ${CASES:+"$CASES"} | tee -a "$out"
done
echo
$PYTHON bench/kernels/table.py < "$out"
