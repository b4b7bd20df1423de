#!/usr/bin/env bash
# Scaling of data-parallel training on this machine: 1 rank x 2 threads vs
# 2 ranks x 1 thread (fused and bucketed all-reduce), the same global batch,
# interleaved, REPS rounds; one JSON line per run.
#   bench/ddp/run.sh [small|base] [REPS]
set -euo pipefail
cd "$(dirname "$0")/../.."
size=${1:-small}
reps=${2:-2}
steps=${STEPS:-3}
bin=$(mktemp -d)/ddpbench
go build -tags mpi -o "$bin" ./bench/ddp
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
for _ in $(seq "$reps"); do
	mpirun -np 1 "$bin" --size "$size" --threads 2 --batch 8 --accum 2 --steps "$steps"
	mpirun -np 2 --oversubscribe "$bin" --size "$size" --threads 1 --batch 8 --accum 1 --steps "$steps" --bucket-mb 0
	mpirun -np 2 --oversubscribe "$bin" --size "$size" --threads 1 --batch 8 --accum 1 --steps "$steps" --bucket-mb 25
done
