#!/usr/bin/env python3
"""numpy/scipy peer of the sparse activation correlation (saex-bench analysis correlate).

For every feature, the top-5 other features by Pearson correlation of activations over all N tokens
(zeros included), among features active together with it on at least one token:
r(a, b) = (S_ab - N mean_a mean_b) / sqrt(SS_a SS_b), S_ab = sum_t a_t b_t. S is computed with
scipy.sparse products, 512 features of A at a time (A[:, block]^T @ A, CSR, float64), then made dense
per block for the top-5 (np.argpartition). Same data file as the Swift run.
Usage: numpy_correlate.py DATA.safetensors [OUT.f32]   (OUT: [F, 5, 2] float32 like the Swift output)
"""
import os, sys, time
import numpy as np
import scipy.sparse as sp
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from npio import read_safetensors as load

BLOCK, K = 512, 5
d = load(sys.argv[1])
colptr, rows, vals, norms = d["colptr"], np.asarray(d["rows"]), np.asarray(d["values"]), d["norms"]
F, N = colptr.size - 1, norms.size

t0 = time.perf_counter()
a = sp.csc_matrix((vals.astype(np.float64), rows, colptr), shape=(N, F))
m = np.diff(colptr)
s = np.asarray(a.sum(axis=0)).ravel()
mean = s / N
ss = np.asarray(a.multiply(a).sum(axis=0)).ravel() - N * mean * mean
vmin = np.zeros(F); vmax = np.zeros(F); nz = m > 0
vmin[nz] = np.minimum.reduceat(vals, colptr[:-1][nz]); vmax[nz] = np.maximum.reduceat(vals, colptr[:-1][nz])
ss[(m == 0) | ((m == N) & (vmin == vmax))] = 0  # constant columns have no variance (as Swift)
inv = np.where(ss > 0, 1 / np.sqrt(np.where(ss > 0, ss, 1)), 0)
a_csr = a.tocsr()
top_f = np.full((F, K), -1, np.float32); top_r = np.full((F, K), np.nan, np.float32)
for lo in range(0, F, BLOCK):
    hi = min(F, lo + BLOCK)
    prod = (a[:, lo:hi].T.tocsr() @ a_csr).toarray()  # S for features lo..<hi against all
    co = prod != 0
    r = (prod - N * mean[lo:hi, None] * mean[None, :]) * inv[lo:hi, None] * inv[None, :]
    np.clip(r, -1, 1, out=r)
    ok = co & (ss[None, :] > 0) & (ss[lo:hi, None] > 0)
    ok[np.arange(hi - lo), np.arange(lo, hi)] = False  # exclude self
    r[~ok] = -np.inf
    idx = np.argpartition(-r, K - 1, axis=1)[:, :K]
    rv = np.take_along_axis(r, idx, 1)
    o = np.argsort(-rv, axis=1, kind="stable")
    idx = np.take_along_axis(idx, o, 1); rv = np.take_along_axis(rv, o, 1)
    good = np.isfinite(rv)
    top_f[lo:hi] = np.where(good, idx, -1); top_r[lo:hi] = np.where(good, rv, np.nan)
elapsed = time.perf_counter() - t0
if len(sys.argv) > 2:
    np.stack([top_f, top_r], 2).astype(np.float32).tofile(sys.argv[2])
print(f"numpy/scipy activation-correlation top-5 ({F} x {F} features, sparse): {elapsed:.3f} s", flush=True)
print(f"RESULT numpy_correlation_seconds {elapsed:.4f}")
