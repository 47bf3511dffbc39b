#!/usr/bin/env python3
"""numpy peer for decoder matching: the bare float32 product of the same shape (np.dot).

Usage: numpy_match.py ROWS DIM
"""
import sys, time
import numpy as np

rows, dim = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
a = rng.standard_normal((rows, dim), dtype=np.float32)
b = rng.standard_normal((rows, dim), dtype=np.float32)
np.dot(a[:256], b.T)  # warm-up
c = np.empty((rows, rows), np.float32)
c.fill(0)
t0 = time.perf_counter()
np.dot(a, b.T, out=c)
dt = time.perf_counter() - t0
print(f"numpy np.dot f32 {rows}x{rows}x{dim}: {dt:.3f} s ({2 * rows * rows * dim / dt / 1e9:.1f} GFLOP/s)", flush=True)
print(f"RESULT numpy_sgemm_seconds {dt:.4f}")
