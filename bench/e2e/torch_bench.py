"""The PyTorch side of bench/e2e: the same measurements as main.go on the
plain-PyTorch DistilBertForMaskedLM of tools/golden/distilbert_ref.py (which
follows transformers' modeling_distilbert.py op for op, computing the full
vocabulary logits as transformers does), on Debian's python3-torch.

    /usr/bin/python3 bench/e2e/torch_bench.py --mode train --batch 64 --steps 3 --threads 2

Prints one JSON object with the fields of main.go's Result.

--precision bf16 runs the steps under torch.autocast("cpu", dtype=torch.bfloat16)
(matmuls in bf16, fp32 weights, gradients and optimizer). Debian's torch 1.13
runs LayerNorm on bf16 input in bf16 under CPU autocast and then fails to mix
it with the fp32 residual, so LayerNorm's input is cast to fp32 there, which
is also what distilgo's bf16 mode computes (layer norm in fp32).
"""

import argparse
import contextlib
import ctypes
import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "golden"))
import distilbert_ref as ref  # noqa: E402


def flops_train(cfg, B, T, M):
    C, H, V, L = cfg.dim, cfg.hidden_dim, cfg.vocab_size, cfg.n_layers
    enc = B * T * L * (8 * C * C + 4 * C * H + 4 * T * C)
    head = M * (2 * C * C + 2 * C * V)  # FLOPs the step needs (masked positions)
    return 3 * (enc + head)


def new_model(cfg, seed=1):
    """DistilBertForMaskedLM initialised as transformers' _init_weights (as
    distilbert.New): N(0, 0.02^2) weights, zero biases, LayerNorm 1/0, so
    both engines start at loss ~ln(V)."""
    torch.manual_seed(seed)
    model = ref.DistilBertForMaskedLM(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name or "layer_norm" in name:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
            elif name.endswith("bias"):
                p.zero_()
            else:
                p.normal_(0.0, cfg.initializer_range)
    return model


def random_batch(cfg, B, T, seed=7):
    """B×T random token ids with 15% of positions replaced by [MASK] (103) and
    labelled; returns ids, attention mask (all ones) and labels (-100 where
    unlabelled)."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(1000, cfg.vocab_size, (B, T), generator=g)
    sel = torch.rand((B, T), generator=g) < 0.15
    labels = torch.where(sel, ids, torch.full_like(ids, -100))
    ids = torch.where(sel, torch.full_like(ids, 103), ids)
    return ids, torch.ones_like(ids), labels


def blas_info():
    """The BLAS library this process runs PyTorch's fp32 matmuls on (Debian's
    torch links libblas.so.3, whichever library the alternatives or
    LD_LIBRARY_PATH provide) and, for OpenBLAS, the core it chose and its
    threads (blas_core is empty for any other BLAS)."""
    a = torch.ones(64, 64)
    a @ a
    paths = sorted({line.split()[-1] for line in open("/proc/self/maps")
                    if "blas" in line.rsplit("/", 1)[-1] and line.split()[-1].startswith("/")})
    info = {"blas": ",".join(paths), "blas_core": "", "blas_threads": 0}
    try:
        lib = ctypes.CDLL("libopenblas.so.0", mode=os.RTLD_NOLOAD)
    except OSError:
        return info  # not OpenBLAS (e.g. the reference BLAS of libblas3)
    lib.openblas_get_corename.restype = ctypes.c_char_p
    info.update(blas_core=lib.openblas_get_corename().decode(), blas_threads=lib.openblas_get_num_threads())
    return info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="train")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"])
    a = ap.parse_args()
    autocast = contextlib.nullcontext
    if a.precision == "bf16":
        ln_forward = torch.nn.LayerNorm.forward
        torch.nn.LayerNorm.forward = lambda self, x: ln_forward(self, x.float())
        autocast = lambda: torch.autocast("cpu", dtype=torch.bfloat16)  # noqa: E731
    torch.set_num_threads(a.threads)
    cfg = ref.Config()
    model = new_model(cfg)
    B, T = a.batch, a.seq
    ids, mask, labels = random_batch(cfg, B, T)
    sel = labels != -100
    times, cpu_times, loss = [], [], float("nan")
    res = {"engine": "pytorch-" + torch.__version__, "mode": a.mode, "batch": B, "seq_len": T,
           "threads": a.threads, "kernels": "torch", "steps": a.steps, "precision": a.precision,
           **blas_info()}
    if a.mode == "train":
        model.train()
        decay = set(ref.decay_parameter_names(model))
        params = list(model.named_parameters())
        opt = torch.optim.AdamW([
            {"params": [p for n, p in params if n in decay], "weight_decay": 0.01},
            {"params": [p for n, p in params if n not in decay], "weight_decay": 0.0}], lr=2e-5)
        for s in range(a.steps + 1):
            t0, c0 = time.perf_counter(), time.process_time()
            opt.zero_grad()
            with autocast():
                l, _ = model(ids, mask, labels)
            l.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if s > 0:
                times.append(time.perf_counter() - t0)
                cpu_times.append(time.process_time() - c0)
            loss = l.item()
        fl = flops_train(cfg, B, T, int(sel.sum()))
    elif a.mode == "eval":
        model.eval()
        with torch.no_grad(), autocast():
            for s in range(a.steps + 1):
                t0, c0 = time.perf_counter(), time.process_time()
                l, _ = model(ids, mask, labels)
                if s > 0:
                    times.append(time.perf_counter() - t0)
                    cpu_times.append(time.process_time() - c0)
                loss = l.item()
        fl = flops_train(cfg, B, T, int(sel.sum())) / 3
    elif a.mode == "fillmask":
        model.eval()
        x = torch.tensor([[101, 2023, 2003, 1037, 2307, 103, 1012, 102]])
        with torch.no_grad(), autocast():
            for s in range(a.repeat + 3):
                t0, c0 = time.perf_counter(), time.process_time()
                _, logits = model(x)
                logits[0, 5].softmax(-1).topk(5)
                if s >= 3:
                    times.append(time.perf_counter() - t0)
                    cpu_times.append(time.process_time() - c0)
        B, T, fl = 1, 8, 0
        res.update(batch=1, seq_len=8, steps=a.repeat)
    else:
        sys.exit("unknown mode " + a.mode)
    ts = sorted(times)
    med = ts[(len(ts) + 1) // 2 - 1]
    cpu_med = sorted(cpu_times)[(len(ts) + 1) // 2 - 1]
    res.update(step_ms=1000 * med, tokens_per_s=B * T / med, tokens_per_cpu_s=B * T / cpu_med,
               gflop_per_s=fl / med / 1e9, loss=loss,
               peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if a.mode == "fillmask":
        res.update(p50_ms=1000 * ts[(len(ts) + 1) // 2 - 1], p95_ms=1000 * ts[max(0, -(-95 * len(ts) // 100) - 1)])
    print(json.dumps(res))


if __name__ == "__main__":
    main()
