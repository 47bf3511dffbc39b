#!/usr/bin/env python3
"""Golden values for the Swift analysis tests, computed independently with numpy/scipy.

Writes golden.safetensors next to this script (hand-written safetensors: 8-byte little-endian
header length, JSON header, raw little-endian data). Run: python3 make_golden.py
Every expected number here comes from numpy/scipy on dense arrays, never from saex.
A NaN in an expected value means "nil" (statistic undefined).
"""
import json, math, os
import numpy as np
from scipy import stats

rng = np.random.default_rng(20260611)
N, FA, FB, D, K = 400, 24, 20, 16, 5

# Input norms with ties (rounded to one decimal) and a few massive-norm tokens.
norms = np.round(rng.lognormal(mean=3.0, sigma=0.25, size=N), 1)
norms[rng.choice(N, 6, replace=False)] = np.round(rng.uniform(300, 400, 6), 1)
norms = norms.astype(np.float32)

def sparse_feature(density, scale=1.0, ties=False):
    a = np.zeros(N, np.float64)
    m = max(1, int(round(density * N)))
    idx = rng.choice(N, m, replace=False)
    v = rng.exponential(scale, m) + 0.05
    if ties:
        v = np.round(v, 0) + 1.0  # heavy ties among active values
    a[idx] = v
    return a

A = []
for f in range(FA):
    A.append(sparse_feature(rng.uniform(0.02, 0.4), ties=(f % 5 == 0)))
A = np.array(A)
x = norms.astype(np.float64)
# Planted: feature 1 is a norm detector (activation = 0.5 * ||x|| on the highest-norm tokens).
order = np.argsort(-x, kind="stable")
A[1] = 0
A[1, order[:12]] = 0.5 * x[order[:12]]
A[2] = 0                               # dead
A[3] = 0; A[3, rng.choice(N, 2, replace=False)] = [1.0, 2.0]   # two active tokens only
A[4] = 0.75                            # active everywhere, constant
A[5] = 0.1 * x                         # active everywhere, proportional to the norm
A[6] = np.where(A[6] != 0, -A[6], 0)   # negative activations
A = A.astype(np.float32)

# B: noisy copies of some A features plus independent ones.
B = []
for g in range(FB):
    if g < 10:
        src = A[(g * 2 + 7) % FA].astype(np.float64)
        keep = rng.random(N) < 0.8
        b = np.where(keep, src * rng.uniform(0.5, 1.5, N), 0)
        extra = (rng.random(N) < 0.02) & (b == 0)
        b[extra] = rng.exponential(1.0, extra.sum())
        B.append(np.abs(b))
    else:
        B.append(sparse_feature(rng.uniform(0.02, 0.3)))
B = np.array(B).astype(np.float32)

def csc(M):
    colptr, rows, vals = [0], [], []
    for f in range(M.shape[0]):
        nz = np.nonzero(M[f])[0]
        rows.extend(nz.tolist()); vals.extend(M[f, nz].tolist())
        colptr.append(len(rows))
    return np.array(colptr, np.int64), np.array(rows, np.int32), np.array(vals, np.float32)

def corr_or_nan(fn, a, b):
    if len(a) < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return math.nan
    return float(fn(a, b)[0])

ntop = math.ceil(0.01 * N)
top = np.sort(order[:ntop])

def feature_stats(a):
    a = a.astype(np.float64)
    act = a != 0
    m = int(act.sum())
    pa = corr_or_nan(stats.pearsonr, a, x)
    sa = corr_or_nan(stats.spearmanr, a, x)
    pact = corr_or_nan(stats.pearsonr, a[act], x[act]) if m >= 3 else math.nan
    sact = corr_or_nan(stats.spearmanr, a[act], x[act]) if m >= 3 else math.nan
    mass = np.abs(a).sum()
    topm = float(np.abs(a[top]).sum() / mass) if mass > 0 else math.nan
    if 0 < m < N:
        xa, xi = x[act][:, None], x[~act][None, :]
        auc = float(((xa > xi) + 0.5 * (xa == xi)).mean())
    else:
        auc = math.nan
    dens = m / N
    mx = float(a.max()) if m > 0 else 0.0
    if m > 0:
        mx = float(a[act].max())
    mean = float(a.mean())
    # Norm-detector rule of docs/ANALYSIS.md, written out here independently.
    hint = 0.0
    if m >= 10:
        if not math.isnan(topm) and topm >= 0.5:
            hint = 1.0
        elif not math.isnan(sact) and not math.isnan(auc) and sact >= 0.5 and auc >= 0.75:
            hint = 1.0
    return [pa, sa, pact, sact, topm, auc, dens, mx, mean, hint]

stats_a = np.array([feature_stats(A[f]) for f in range(FA)], np.float64)

# Weights: decoders with a planted duplicate (B row 3 = 2.5 * A row 7), encoder of A [d_in, d_sae].
wdec_a = rng.normal(size=(FA, D)).astype(np.float32)
wdec_b = rng.normal(size=(FB, D)).astype(np.float32)
wdec_b[3] = 2.5 * wdec_a[7]
wdec_a[9] = 0                      # zero decoder row
wenc_a = rng.normal(size=(D, FA)).astype(np.float32)
wenc_a[:, 11] = 3.0 * wdec_a[11]   # encoder column parallel to its decoder row

da, db, ea = wdec_a.astype(np.float64), wdec_b.astype(np.float64), wenc_a.astype(np.float64)
dec_norm = np.linalg.norm(da, axis=1)
enc_norm = np.linalg.norm(ea, axis=0)
with np.errstate(invalid="ignore", divide="ignore"):
    ed_cos = np.where(dec_norm * enc_norm > 0, (ea.T * da).sum(1) / (dec_norm * enc_norm), np.nan)
weights_a = np.stack([dec_norm, enc_norm, ed_cos], 1)

def unit(M):
    n = np.linalg.norm(M, axis=1, keepdims=True)
    return np.divide(M, n, out=np.zeros_like(M), where=n > 0)

cos = unit(da) @ unit(db).T

def topk_rows(M, k):
    idx = np.argsort(-M, axis=1, kind="stable")[:, :k]
    return idx.astype(np.int64), np.take_along_axis(M, idx, 1)

cab_i, cab_v = topk_rows(cos, K)
cba_i, cba_v = topk_rows(cos.T, K)
mutual_ab = np.array([[1 if (cab_i[a, 0] == b and cba_i[b, 0] == a) else 0 for b in cab_i[a]] for a in range(FA)], np.int64)
self_cos = unit(da) @ unit(da).T
np.fill_diagonal(self_cos, -np.inf)
nb_i, nb_v = topk_rows(self_cos, K)

# Activation correlation over all N tokens (zeros included), co-active pairs only.
Ad, Bd = A.astype(np.float64), B.astype(np.float64)
corr = np.full((FA, FB), np.nan)
for a in range(FA):
    for b in range(FB):
        corr[a, b] = corr_or_nan(stats.pearsonr, Ad[a], Bd[b])
coactive = ((Ad != 0).astype(np.int64) @ (Bd != 0).astype(np.int64).T) > 0
cand = np.where(coactive & ~np.isnan(corr), corr, -np.inf)
corr_i = np.full((FA, K), -1, np.int64)
corr_v = np.full((FA, K), np.nan)
for a in range(FA):
    idx = np.argsort(-cand[a], kind="stable")
    idx = [i for i in idx if np.isfinite(cand[a, i])][:K]
    corr_i[a, :len(idx)] = idx
    corr_v[a, :len(idx)] = cand[a, idx]
corr_of_cos = np.take_along_axis(corr, cab_i, 1)

cp_a, rows_a, vals_a = csc(A)
cp_b, rows_b, vals_b = csc(B)

tensors = {
    "norms": norms, "top_tokens": top.astype(np.int64),
    "colptr_a": cp_a, "rows_a": rows_a, "values_a": vals_a,
    "colptr_b": cp_b, "rows_b": rows_b, "values_b": vals_b,
    "stats_a": stats_a,
    "wdec_a": wdec_a, "wenc_a": wenc_a, "wdec_b": wdec_b, "weights_a": weights_a,
    "cos_ab_idx": cab_i, "cos_ab_val": cab_v, "cos_ba_idx": cba_i, "cos_ba_val": cba_v, "mutual_ab": mutual_ab,
    "nb_a_idx": nb_i, "nb_a_val": nb_v,
    "corr_ab_idx": corr_i, "corr_ab_val": corr_v, "corr_of_cos_ab": corr_of_cos,
}

def write_safetensors(path, tensors):
    names = {np.dtype(np.float32): "F32", np.dtype(np.float64): "F64", np.dtype(np.int64): "I64", np.dtype(np.int32): "I32"}
    header, blobs, off = {}, [], 0
    for k in sorted(tensors):
        arr = np.ascontiguousarray(tensors[k])
        b = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
        header[k] = {"dtype": names[arr.dtype], "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = {"generator": "make_golden.py", "seed": "20260611"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little")); f.write(h)
        for b in blobs:
            f.write(b)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.safetensors")
write_safetensors(out, tensors)
print("wrote", out, "nnz A", len(rows_a), "nnz B", len(rows_b), "hints", int(stats_a[:, 9].sum()))
