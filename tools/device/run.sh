#!/usr/bin/env bash
# run.sh: every check that needs the lent GPU machine, in one call (about 5
# minutes). Build and prepare here first, from the repository root:
#
#   mkdir -p .device
#   CGO_ENABLED=1 go test -c -tags cuda -o .device/cuda.test ./cuda/
#   go test -c -o .device/kernels.test ./kernels/
#   go run ./cmd/finetune --model random:SMALL.json ... --output-dir .device/small-run   (see README's quick run)
#   rm -rf .device/small-run/checkpoint-*
#   go run ./cmd/fillmask --model .device/small-run --json "This is a great [MASK]." "I [MASK] this movie, the acting was [MASK]." > .device/fillmask.json
#
# then, with the device tool: carry [".device"], command "bash tools/device/run.sh".
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-$PWD/out/device}
mkdir -p "$OUT"
{
	echo "== CPU"
	lscpu | grep -E 'Model name|^CPU\(s\)|Thread|MHz' || true
	echo "SIMD/AMX flags: $(grep -o -E 'avx512[a-z_0-9]*|amx[a-z_0-9]*|avx2|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')"
} 2>&1 | tee "$OUT/cpu.txt"

echo "== kernels tests at every level this CPU has"
(cd kernels && timeout 90 ../.device/kernels.test -test.run . -test.short -test.v 2>&1 | grep -E '^(--- |=== RUN.*Level|ok|PASS|FAIL)|level' | grep -v -- '--- PASS' | tail -40) 2>&1 | tee "$OUT/kernels_test.log"
(cd kernels && timeout 60 ../.device/kernels.test -test.run '^$' -test.bench 'FMAPeak|Sgemm/avx512/NN/8192x768x768|Sgemm/avx512/TN/768x3072x8192' -test.benchtime 3x 2>&1 | tail -20) 2>&1 | tee "$OUT/kernels_bench.log"

echo "== transformers interop"
PYTHONUNBUFFERED=1 timeout 150 python3 tools/device/hf_check.py 2>&1 | tee "$OUT/hf_check.log"

echo "== CUDA backend"
bash tools/device/cuda_check.sh
