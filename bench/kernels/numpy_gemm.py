#!/usr/bin/env python3
"""OpenBLAS SGEMM through numpy at the shapes of bench/kernels/main.go.

Prints the same tab-separated lines (impl openblas, level = the library's
configuration). The thread count must be fixed before numpy loads OpenBLAS,
so run it once per count:

    OPENBLAS_NUM_THREADS=2 python3 bench/kernels/numpy_gemm.py 2
"""
import sys
import time

import numpy as np

CASES = [
    ("NN", False, False, 8192, 768, 768, 1), ("NN", False, False, 8192, 3072, 768, 1), ("NN", False, False, 8192, 768, 3072, 1),
    ("NT", False, True, 8192, 768, 768, 1), ("NT", False, True, 8192, 3072, 768, 1), ("NT", False, True, 8192, 768, 3072, 1),
    ("TN", True, False, 8192, 768, 768, 1), ("TN", True, False, 8192, 3072, 768, 1), ("TN", True, False, 8192, 768, 3072, 1),
    ("TN-dW", True, False, 768, 768, 8192, 1), ("TN-dW", True, False, 3072, 768, 8192, 1), ("TN-dW", True, False, 768, 3072, 8192, 1),
    ("QKt-NT", False, True, 128, 128, 64, 768), ("PV-NN", False, False, 128, 64, 128, 768), ("PtdO-TN", True, False, 128, 64, 128, 768),
]


def measure(f, flops, reps=5, min_time=0.3):
    f()
    rates = []
    for _ in range(reps):
        n, t0 = 0, time.perf_counter()
        while n == 0 or time.perf_counter() - t0 < min_time / reps:
            f()
            n += 1
        rates.append(flops * n / (time.perf_counter() - t0) / 1e9)
    rates.sort()
    return rates[len(rates) // 2]


def main():
    threads = int(sys.argv[1])
    only = set(sys.argv[2].split(",")) if len(sys.argv) > 2 else None
    rng = np.random.default_rng(1)
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        level = "%s-%s" % (cfg.get("name", "blas"), cfg.get("version", "?"))
    except Exception:  # numpy < 1.26 has no dict mode
        level = "numpy-" + np.__version__
    for name, ta, tb, m, n, k, batch in CASES:
        if only and name not in only:
            continue
        # Stored shapes; a transposed operand is a transposed view (no copy:
        # numpy passes the transpose flag to sgemm).
        a = rng.uniform(-1, 1, (batch, k, m) if ta else (batch, m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (batch, n, k) if tb else (batch, k, n)).astype(np.float32)
        opa = a.transpose(0, 2, 1) if ta else a
        opb = b.transpose(0, 2, 1) if tb else b
        if batch == 1:
            opa, opb = opa[0], opb[0]
        c = np.empty((batch, m, n) if batch > 1 else (m, n), np.float32)
        g = measure(lambda: np.matmul(opa, opb, out=c), 2.0 * m * n * k * batch)
        print("openblas\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%.1f\t0\t0" % (level, name, m, n, k, batch, threads, g), flush=True)


if __name__ == "__main__":
    main()
