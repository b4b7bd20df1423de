#!/bin/bash
# quiet-machine pass 1: base (e081e5c, session start) vs new (main HEAD) fp32/bf16
cd /work/main
for r in 1 2; do
  for b in base new; do for p in fp32 bf16; do
    echo "== r$r $b B64 train $p $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
    /work/bin/e2e-$b --mode train --batch 64 --steps 3 --precision $p 2>&1 | tail -3
  done; done
done
for b in base new; do for p in fp32 bf16; do
  echo "== $b B16 train $p $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  /work/bin/e2e-$b --mode train --batch 16 --steps 3 --precision $p 2>&1 | tail -3
  echo "== $b B64 eval $p $(date +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  /work/bin/e2e-$b --mode eval --batch 64 --steps 3 --precision $p 2>&1 | tail -3
  echo "== $b fillmask $p $(date +%T)"
  /work/bin/e2e-$b --mode fillmask --repeat 50 --precision $p 2>&1 | tail -3
done; done
echo DONE $(date +%T)
