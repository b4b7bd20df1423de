#!/bin/bash
cd /work/main
echo "== gemm $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
go test -run NONE -bench 'BF16Peak|SgemmBF16/avx512bf16/(TN|NN|NT)/.*/bf16/threads[12]$' -benchtime 5x -count 2 ./kernels/ 2>&1 | grep -v '^goos\|^goarch\|^pkg'
for r in 1 2; do for b in base final; do
  echo "== r$r $b B64 train fp32 $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  /work/bin/e2e-$b --mode train --batch 64 --steps 3 --precision fp32 2>&1 | tail -1
done; done
for b in base final; do for p in bf16; do
  echo "== $b B64 train $p $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  /work/bin/e2e-$b --mode train --batch 64 --steps 3 --precision $p 2>&1 | tail -1
done; echo "== $b B64 eval fp32 $(date +%T)"; /work/bin/e2e-$b --mode eval --batch 64 --steps 3 2>&1 | tail -1; done
echo "== serve $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
go run ./bench/serve --concurrency 1,32 --duration 20s --server /work/bin/serve-final 2>&1 | tail -12
echo DONE $(date +%T)
