#!/usr/bin/env python3
"""Checks that the Swift and numpy benchmark runs computed the same statistics.

Usage: compare.py SWIFT.f32 NUMPY.f32 F
"""
import sys
import numpy as np

F = int(sys.argv[3])
s = np.fromfile(sys.argv[1], np.float32).reshape(F, 10)
n = np.fromfile(sys.argv[2], np.float32).reshape(F, 10)
names = ["density", "max", "mean", "pearson_all", "spearman_all", "pearson_active", "spearman_active", "top_norm_mass", "norm_auc", "active"]
worst = 0.0
for j, name in enumerate(names):
    both = ~np.isnan(s[:, j]) & ~np.isnan(n[:, j])
    nil_mismatch = int((np.isnan(s[:, j]) != np.isnan(n[:, j])).sum())
    err = float(np.max(np.abs(s[both, j] - n[both, j]) / (1 + np.abs(n[both, j])))) if both.any() else 0.0
    worst = max(worst, err)
    print(f"  {name:16s} max rel. diff {err:.2e}  nil mismatches {nil_mismatch}")
    if nil_mismatch:
        worst = max(worst, 1.0)
print(f"agreement: {'OK' if worst < 1e-4 else 'MISMATCH'} (worst {worst:.2e})")
sys.exit(0 if worst < 1e-4 else 1)
