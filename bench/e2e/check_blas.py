"""Checks the BLAS under PyTorch before bench/e2e times it: which library and
core it runs, that its fp32 products are right, and that a DistilBERT forward
gives the same loss as with the core these machines pin.

    /usr/bin/python3 bench/e2e/check_blas.py --threads 2
    /usr/bin/python3 bench/e2e/check_blas.py --threads 2 --speed   # BLAS and speed only

Why: Debian's torch 1.13 runs its fp32 matmuls on whatever libblas.so.3 the
system provides. With only libblas3 installed that is the netlib reference
BLAS (one thread, ~2 GFLOP/s), which made PyTorch look 20x slower than it is;
with OpenBLAS, OPENBLAS_CORETYPE (exported as Haswell on these machines)
overrides OpenBLAS's own choice (Cooperlake, i.e. its AVX-512 kernels, on
Zen 5). run.sh runs PyTorch with OpenBLAS's own choice, so this checks it:

1. Products at the model's shapes and forms (x·Wᵀ as nn.Linear computes it,
   dY·W and dYᵀ·X as its backward does), fp32, against a float64 reference
   that uses no BLAS (elementwise products summed in float64). Bound, for
   every element: |c − c64| ≤ K·u·(|A|·|B|) with u = 2⁻²⁴, the worst-case
   error of any fp32 summation order of K products (Higham, Accuracy and
   Stability, 3.5; γ_K ≈ K·u). A wrong kernel or a race misses it by orders
   of magnitude; correct ones use a few percent of it.
2. The forward loss and the masked-position logits of the benchmark's model
   (torch_bench.new_model, B=2, T=64, eval mode) against the same computed in
   a child process with OPENBLAS_CORETYPE=Haswell (the pinned core). Both are
   fp32 with different summation orders: the bound is 1e-5 relative on the
   loss and 1e-4 absolute on the logits (logits here are O(0.1-1); fp32
   rounding through six layers at this width is ~1e-6, see the printed
   differences).

Exits 1 with a message naming the product or quantity that failed.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_bench as tb  # noqa: E402
from torch_bench import ref  # noqa: E402

U = 2.0 ** -24
LOSS_RTOL = 1e-5
LOGIT_ATOL = 1e-4

# name, M, K, N, form: "nt" = A(M×K)·B(N×K)ᵀ (nn.Linear forward), "nn" =
# A(M×K)·B(K×N) (input gradient), "tn" = A(K×M)ᵀ·B(K×N) (weight gradient).
# M is kept small where the float64 reference would be slow; K and N are the
# model's.
PRODUCTS = [
    ("q/k/v/out x·Wᵀ", 64, 768, 768, "nt"),
    ("FFN lin1 x·Wᵀ", 64, 768, 3072, "nt"),
    ("FFN lin2 x·Wᵀ", 64, 3072, 768, "nt"),
    ("MLM head x·Eᵀ", 8, 768, 30522, "nt"),
    ("lin2 input grad dY·W", 64, 768, 3072, "nn"),
    ("q/k/v weight grad dYᵀ·X", 192, 256, 768, "tn"),
]


def ref_product(a, b):
    """a (M×K) · b (K×N) in float64 without BLAS; also |a|·|b|."""
    a64, b64 = a.double(), b.double()
    c = torch.empty(a.shape[0], b.shape[1], dtype=torch.float64)
    mag = torch.empty_like(c)
    step = max(1, (1 << 21) // (b.shape[0] * b.shape[1]))  # ~16 MB a chunk
    for i in range(0, a.shape[0], step):
        p = a64[i:i + step, :, None] * b64[None]
        c[i:i + step] = p.sum(1)
        mag[i:i + step] = p.abs_().sum(1)
    return c, mag


def check_products():
    g = torch.Generator().manual_seed(3)
    worst = 0.0
    for name, M, K, N, form in PRODUCTS:
        if form == "nt":
            a, w = torch.randn(M, K, generator=g), torch.randn(N, K, generator=g)
            c = a @ w.t()  # the addmm/mm nn.Linear runs
            a_, b_ = a, w.t()
        elif form == "nn":
            a, b_ = torch.randn(M, K, generator=g), torch.randn(K, N, generator=g)
            c, a_ = a @ b_, a
        else:
            at, b_ = torch.randn(K, M, generator=g), torch.randn(K, N, generator=g)
            c, a_ = at.t() @ b_, at.t()
        c64, mag = ref_product(a_, b_)
        err = (c.double() - c64).abs()
        ratio = (err / (U * mag)).max().item()  # in units of u·(|A|·|B|); bound K
        worst = max(worst, ratio / K)
        status = "ok" if ratio <= K else "FAIL"
        print(f"  {name:<24} {form} M={M} K={K} N={N}: max |err| = {ratio:.1f} u·(|A|·|B|) (bound K = {K}) {status}",
              file=sys.stderr)
        if ratio > K:
            sys.exit(f"check_blas: product {name} ({form}, M={M} K={K} N={N}) off by {ratio:.0f} u·(|A|·|B|) > K: "
                     "this BLAS core computes wrong results")
    return worst


def forward():
    """Loss and masked-position logits of the benchmark's model, eval mode."""
    cfg = ref.Config()
    model = tb.new_model(cfg).eval()
    ids, mask, labels = tb.random_batch(cfg, 2, 64)
    with torch.no_grad():
        loss, logits = model(ids, mask, labels)
    return loss.item(), logits[labels != -100]


def speed(reps=5):
    """GFLOP/s and GFLOP per CPU-second of the FFN's x·Wᵀ at B×T = 1024 rows
    (1024×768 · (3072×768)ᵀ, the most common product of a training step),
    median of reps calls after one warm-up."""
    g = torch.Generator().manual_seed(5)
    x, w = torch.randn(1024, 768, generator=g), torch.randn(3072, 768, generator=g)
    x @ w.t()
    walls, cpus = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        x @ w.t()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    fl = 2 * 1024 * 768 * 3072
    return fl / sorted(walls)[reps // 2] / 1e9, fl / sorted(cpus)[reps // 2] / 1e9


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--speed", action="store_true", help="only print the BLAS and the speed of one product")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--child", help="write the forward's loss and logits to this file and exit")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.child:
        loss, logits = forward()
        torch.save({"loss": loss, "logits": logits, **tb.blas_info()}, a.child)
        return
    info = tb.blas_info()
    if a.speed:
        gf, gfc = speed()
        print(json.dumps({**info, "torch_threads": torch.get_num_threads(), "gflop_per_s": round(gf, 1),
                          "gflop_per_cpu_s": round(gfc, 1)}))
        return
    print(f"check_blas: {info['blas']} core={info['blas_core'] or '-'} blas threads={info['blas_threads']} "
          f"torch threads={torch.get_num_threads()}", file=sys.stderr)
    if not info["blas_core"]:
        sys.exit("check_blas: PyTorch is not running on OpenBLAS (" + info["blas"] + "): the reference BLAS "
                 "is single-threaded and ~30x slower; install Debian's libopenblas0-openmp")
    worst = check_products()
    loss, logits = forward()
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"check_blas_{os.getpid()}.pt")
    env = dict(os.environ, OPENBLAS_CORETYPE="Haswell")
    try:
        subprocess.run([sys.executable, os.path.abspath(__file__), "--threads", str(a.threads), "--child", out],
                       env=env, check=True)
        pinned = torch.load(out)
    finally:
        if os.path.exists(out):
            os.remove(out)
    dl = abs(loss - pinned["loss"]) / abs(pinned["loss"])
    dg = (logits - pinned["logits"]).abs().max().item()
    print(f"  forward vs core {pinned['blas_core']}: loss {loss:.7f} vs {pinned['loss']:.7f} (rel {dl:.1e}, "
          f"bound {LOSS_RTOL:.0e}), logits max |diff| {dg:.1e} (bound {LOGIT_ATOL:.0e})", file=sys.stderr)
    if dl > LOSS_RTOL or dg > LOGIT_ATOL:
        sys.exit(f"check_blas: forward with core {info['blas_core']} differs from core {pinned['blas_core']}: "
                 f"loss rel {dl:.1e} (bound {LOSS_RTOL:.0e}), logits {dg:.1e} (bound {LOGIT_ATOL:.0e})")
    print(json.dumps({**info, "worst_product_error_over_bound": worst, "loss": loss, "pinned_loss": pinned["loss"],
                      "pinned_core": pinned["blas_core"]}))


if __name__ == "__main__":
    main()
