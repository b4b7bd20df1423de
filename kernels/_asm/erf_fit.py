#!/usr/bin/env python3
"""Fits the float32 erf approximations used by the GELU kernels (vec.go).

Not run by `make generate` (it needs numpy); its output is copied into
vec.go's erfSmall and erfLarge, and running it again prints the same
coefficients:

    python3 kernels/_asm/erf_fit.py

- |z| < 0.921875: erf(z) = z * P(z^2), P of degree 5, minimax in the
  absolute error of erf (Lawson's iteratively reweighted least squares on
  Chebyshev nodes).
- 0.921875 <= |z| <= 4: erfc(|z|) = exp(Q(|z|)), Q of degree 8, least
  squares on Chebyshev nodes of log(erfc).

Coefficients are rounded to float32; the script reports the resulting
errors evaluated in float64.
"""
from math import erf, erfc

import numpy as np
import numpy.polynomial.chebyshev as C

SPLIT = 0.921875
E, Ec = np.vectorize(erf), np.vectorize(erfc)


def fit_small(deg=5, iters=30):
    s = (np.cos(np.linspace(0, np.pi, 6000)) * 0.5 + 0.5) * SPLIT * SPLIT
    x = np.sqrt(s)
    x[x == 0] = 1e-12
    f = E(x) / x
    V = np.vander(s, deg + 1, increasing=True)
    w = np.ones_like(s)
    for _ in range(iters):
        c, *_ = np.linalg.lstsq(V * np.sqrt(w)[:, None], f * np.sqrt(w), rcond=None)
        err = np.abs(V @ c - f) * x
        w = w * err
        w /= w.sum()
    return c


def fit_large(deg=8, lo=SPLIT, hi=4.0):
    t = np.cos(np.linspace(0, np.pi, 8000)) * 0.5 * (hi - lo) + 0.5 * (hi + lo)
    ch = C.chebfit((2 * t - (hi + lo)) / (hi - lo), np.log(Ec(t)), deg)
    P = np.polynomial.Polynomial(C.cheb2poly(ch))
    u = np.polynomial.Polynomial([-(hi + lo) / (hi - lo), 2 / (hi - lo)])
    return P(u).coef


def f32(c):
    return [float(np.float32(v)) for v in c]


small, large = f32(fit_small()), f32(fit_large())
xs = np.linspace(1e-6, SPLIT, 100001)
print("erfSmall = []float32{%s}" % ", ".join("%.9g" % v for v in small))
print("  max |erf error| %.3g" % np.max(np.abs(xs * np.polynomial.Polynomial(small)(xs * xs) - E(xs))))
ts = np.linspace(SPLIT, 4.0, 20001)
print("erfLarge = []float32{%s}" % ", ".join("%.9g" % v for v in large))
print("  max relative erfc error %.3g" % np.max(np.abs(np.exp(np.polynomial.Polynomial(large)(ts)) / Ec(ts) - 1)))
