#!/usr/bin/env python3
"""numpy peer of the Swift per-feature statistics, doing the same work on the same file.

Fully vectorised (no per-feature Python loop): per-feature sums by np.bincount over the column
index of each nonzero, within-feature ranks by one argsort of packed (feature, key) uint64 words.
Computes, for every feature: density, max, mean, Pearson and Spearman with the norm over all
tokens (zeros analytic, as saex) and over active tokens, top-1% norm mass and norm AUC.
Assumes nonnegative activations (true of the benchmark data). Writes the results as float32
[F, 10] raw (NaN = undefined) so run.sh can check agreement with Swift.
Usage: numpy_stats.py DATA.safetensors OUT.f32
"""
import json, math, os, sys, time
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from npio import read_safetensors as load

d = load(sys.argv[1])
colptr, rows, vals, norms = d["colptr"], np.asarray(d["rows"]), np.asarray(d["values"]), np.asarray(d["norms"])
F, N, nnz = colptr.size - 1, norms.size, rows.size

t0 = time.perf_counter()
# ---- Per-sample precomputation (NormContext).
x = norms.astype(np.float64)
xc = x - x.mean()
sxx = float(xc @ xc)
order = np.argsort(norms, kind="stable")
sx = x[order]
starts = np.flatnonzero(np.r_[True, sx[1:] != sx[:-1]])
ends = np.r_[starts[1:], N]
grp_rank = (starts + ends + 1) / 2.0
ranks = np.empty(N); ranks[order] = np.repeat(grp_rank, ends - starts)
ordinal = np.empty(N, np.uint64); ordinal[order] = np.arange(N, dtype=np.uint64)
rc = ranks - (N + 1) / 2.0
srs = float(rc @ rc)
ntop = math.ceil(0.01 * N)
is_top = np.zeros(N, bool); is_top[np.argsort(-norms, kind="stable")[:ntop]] = True

# ---- Per-feature statistics.
m = np.diff(colptr)
col = np.repeat(np.arange(F, dtype=np.int64), m)
a = vals.astype(np.float64)
xr = x[rows]
def bc(w): return np.bincount(col, weights=w, minlength=F)
suma = bc(a)
mean_all = suma / N
density = m / N
mx = np.zeros(F); nz = m > 0
mx[nz] = np.maximum.reduceat(vals, colptr[:-1][nz])
z = N - m
# Pearson over all tokens.
da = a - mean_all[col]
saa = bc(da * da) + z * mean_all ** 2
covx = bc(a * xc[rows])
with np.errstate(invalid="ignore", divide="ignore"):
    p_all = covx / np.sqrt(saa * sxx)
# Top-1% mass and AUC.
top_mass = np.where(suma > 0, bc(a * is_top[rows]) / np.where(suma > 0, suma, 1), np.nan)
with np.errstate(invalid="ignore", divide="ignore"):
    auc = (bc(ranks[rows]) - m * (m + 1) / 2.0) / (m * z)
# Spearman over all tokens: ranks of values inside each feature (one argsort of packed words).
key = (col.astype(np.uint64) << np.uint64(32)) | vals.view(np.uint32).astype(np.uint64)
o = np.argsort(key)
ks = key[o]
b = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
e = np.r_[b[1:], nnz]
pos_in_col = (b + e - 1) / 2.0 - colptr[:-1][col[o[b]]] + 1  # average rank among actives (1-based)
r_act = np.empty(nnz); r_act[o] = np.repeat(pos_in_col, e - b)
r_glob = r_act + z[col]
r0 = (z + 1) / 2.0
rbar = (N + 1) / 2.0
covs = bc((r_glob - r0[col]) * rc[rows])
srr = bc((r_glob - rbar) ** 2) + z * (r0 - rbar) ** 2
with np.errstate(invalid="ignore", divide="ignore"):
    s_all = covs / np.sqrt(srr * srs)
# Pearson over active tokens (two-pass).
ok = m >= 3
with np.errstate(invalid="ignore", divide="ignore"):
    ma_ = suma / m; mxa = bc(xr) / m
    dA = a - ma_[col]; dX = xr - mxa[col]
    p_act = bc(dA * dX) / np.sqrt(bc(dA * dA) * bc(dX * dX))
# Spearman over active tokens: ranks of norms among the feature's active tokens.
key2 = (col.astype(np.uint64) << np.uint64(32)) | ordinal[rows]
o2 = np.argsort(key2)
xs = xr[o2]; cs = col[o2]
b2 = np.flatnonzero(np.r_[True, (xs[1:] != xs[:-1]) | (cs[1:] != cs[:-1])])
e2 = np.r_[b2[1:], nnz]
pos2 = (b2 + e2 - 1) / 2.0 - colptr[:-1][cs[b2]] + 1
rx = np.empty(nnz); rx[o2] = np.repeat(pos2, e2 - b2)
with np.errstate(invalid="ignore", divide="ignore"):
    mm_ = (m + 1) / 2.0
    dra = r_act - mm_[col]; drx = rx - mm_[col]
    s_act = bc(dra * drx) / np.sqrt(bc(dra * dra) * bc(drx * drx))
p_act[~ok] = np.nan; s_act[~ok] = np.nan
elapsed = time.perf_counter() - t0

out = np.stack([density, mx, mean_all, p_all, s_all, p_act, s_act, top_mass, auc, m.astype(np.float64)], 1).astype(np.float32)
out[m == 0, 3:9] = np.nan
out.tofile(sys.argv[2])
print(f"numpy stats: {elapsed:.3f} s  (F={F}, N={N}, nnz={nnz}, numpy {np.__version__})", flush=True)
print(f"RESULT numpy_stats_seconds {elapsed:.4f}")
