#!/usr/bin/env python3
"""Synthetic activations for the analysis benchmark, shared by the Swift and numpy runs.

N tokens x ~K active features per token over F features (feature popularity log-uniform, so
densities span about three decades), exponential activation values, log-normal input norms.
Written as safetensors (hand-written: 8-byte LE header length, JSON header, data):
colptr I64 [F+1], rows U32 [nnz] (ascending within a feature), values F32 [nnz], norms F32 [N].
Usage: make_data.py OUT N F K
"""
import json, sys, time
import numpy as np

out, N, F, K = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t0 = time.time()
rng = np.random.default_rng(1234)
logp = rng.uniform(np.log(1e-3), 0, F)
p = np.exp(logp); p /= p.sum()
cdf = np.cumsum(p)
feats = np.searchsorted(cdf, rng.random((N, K)) * cdf[-1]).astype(np.int64)
np.minimum(feats, F - 1, out=feats)
tok = np.repeat(np.arange(N, dtype=np.int64), K)
key = feats.ravel() * N + tok
del feats, tok
key = np.unique(key)  # sorted by (feature, token); drops the duplicate draws within a token
col = key // N
rows = (key - col * N).astype(np.uint32)
del key
colptr = np.zeros(F + 1, np.int64)
np.cumsum(np.bincount(col, minlength=F), out=colptr[1:])
del col
vals = (rng.exponential(1.0, rows.size) + 0.01).astype(np.float32)
norms = rng.lognormal(4.0, 0.3, N).astype(np.float32)

tensors = {"colptr": colptr, "norms": norms, "rows": rows, "values": vals}
names = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64", np.dtype(np.uint32): "U32"}
# Contiguous data; this order keeps every tensor 8-byte aligned (N even).
order = ["colptr", "norms", "rows", "values"]
header, off = {}, 0
for k in order:
    a = tensors[k]
    header[k] = {"dtype": names[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
    off += a.nbytes
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * ((8 - len(h) % 8) % 8)
with open(out, "wb") as f:
    f.write(len(h).to_bytes(8, "little")); f.write(h)
    for k in order:
        tensors[k].tofile(f)
print(f"data: N={N} F={F} nnz={rows.size} ({rows.size / N:.1f} per token) in {time.time() - t0:.1f} s -> {out}", flush=True)
