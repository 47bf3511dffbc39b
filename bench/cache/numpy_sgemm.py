#!/usr/bin/env python3
"""Bare np.dot of the encoder's shape: M rows x K in blocks of B rows, times K x N (float32, out= reused).
  numpy_sgemm.py M N K B"""
import sys, time
import numpy as np

m, n, k, b = (int(a) for a in sys.argv[1:5])
b = min(b, m)
rng = np.random.default_rng(0)
a = rng.standard_normal((b, k), dtype=np.float32)
w = rng.standard_normal((k, n), dtype=np.float32)
c = np.empty((b, n), np.float32)
np.dot(a, w, out=c)  # warm-up: one block
t = time.perf_counter()
for start in range(0, m, b):
    r = min(b, m - start)
    np.dot(a[:r], w, out=c[:r])
t = time.perf_counter() - t
print(f'RESULT numpy_dot_seconds {t:.3f}')
print(f'RESULT numpy_dot_gflops {2.0 * m * n * k / t / 1e9:.1f}')
