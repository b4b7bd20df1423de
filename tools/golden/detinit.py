"""Deterministic weights shared with Go (internal/detinit, detinit.Scheme).

Element i (row-major, transformers layout) of parameter `name`:
    seed = fnv1a64(name)
    z    = splitmix64(seed + i)                (uint64, mod 2^64)
    u    = (z >> 40) / 2**24                   in [0, 1), exact
    s    = 2*u - 1                             exact
    v    = float32(center + scale * s)         float64 ops, then round to float32
(center, scale): LayerNorm weights (name ends with "LayerNorm.weight" or
"layer_norm.weight") -> (1, norm_weight); names ending ".bias" -> (0, bias);
others -> (0, weight).
Vectorised with numpy uint64 arithmetic (wraps mod 2^64, like Go).
"""

import numpy as np

BASE = dict(weight=0.034641016151377546, bias=0.02, norm_weight=0.1)  # std 0.02 uniform
TINY = dict(weight=0.3, bias=0.1, norm_weight=0.2)

M64 = (1 << 64) - 1


def fnv1a64(name):
    h = 0xcbf29ce484222325
    for b in name.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001b3) & M64
    return h


def splitmix64(x):
    """x: numpy uint64 array."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9e3779b97f4a7c15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xbf58476d1ce4e5b9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94d049bb133111eb)
        return z ^ (z >> np.uint64(31))


def center_scale(name, scheme):
    if name.endswith("LayerNorm.weight") or name.endswith("layer_norm.weight"):
        return 1.0, scheme["norm_weight"]
    if name.endswith(".bias"):
        return 0.0, scheme["bias"]
    return 0.0, scheme["weight"]


def values(name, n, scheme):
    """float32 numpy array of elements 0..n-1 of parameter `name`."""
    center, scale = center_scale(name, scheme)
    idx = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = splitmix64(np.uint64(fnv1a64(name)) + idx)
    u = (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)
    s = 2.0 * u - 1.0
    return (center + scale * s).astype(np.float32)


def init_model(model, scheme):
    """Overwrite every parameter of `model` (named_parameters, so the tied
    vocab_projector.weight is set through the word embeddings)."""
    import torch
    with torch.no_grad():
        for name, p in model.named_parameters():
            v = values(name, p.numel(), scheme).reshape(tuple(p.shape))
            p.copy_(torch.from_numpy(v))
