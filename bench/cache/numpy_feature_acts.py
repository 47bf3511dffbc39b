#!/usr/bin/env python3
"""numpy peer of `saex cache build --feature-acts` (bench/cache/feature_acts.sh; a benchmark, not a test).

  numpy_feature_acts.py FEATURES.safetensors [...] --dicts NAME,NAME

Reads the same sparse feature files (memory-mapped) and does the cache's work on them: per
dictionary the CSC columns (a stable argsort of the feature ids, rows ascending per column), the
top-32 rows per feature and 10 equal-width interval bins, as bench/cache/numpy_cache.py does after
encoding. Prints RESULT numpy_feature_build_seconds.
"""
import json, os, sys, time
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from npio import read_safetensors
from npexamples import bin_counts, top_rows

TOPK, BINS = 32, 10


def main():
    argv = sys.argv[1:]
    i = argv.index('--dicts'); names = argv[i + 1].split(','); del argv[i:i + 2]
    t0 = time.perf_counter()
    files = [read_safetensors(p) for p in argv]
    nnz_total = 0
    for name in names:
        rows_l, feats_l, vals_l, offset = [], [], [], 0
        for t in files:
            rp = np.asarray(t[f'{name}.row_ptr'])
            n = len(rp) - 1
            rows_l.append(np.repeat(np.arange(offset, offset + n, dtype=np.uint32), np.diff(rp)))
            feats_l.append(np.asarray(t[f'{name}.features'])); vals_l.append(np.asarray(t[f'{name}.values']))
            offset += n
        r = np.concatenate(rows_l); c = np.concatenate(feats_l); v = np.concatenate(vals_l)
        f = int(c.max()) + 1 if len(c) else 1
        order = np.argsort(c, kind='stable')
        r = r[order]; v = v[order]
        colptr = np.zeros(f + 1, np.int64)
        np.cumsum(np.bincount(c, minlength=f), out=colptr[1:])
        nnz_total += len(v)
        top_rows(colptr, r, v, TOPK)
        bin_counts(colptr, v, BINS)
    print(f'numpy {np.__version__}, nonzeros {nnz_total}')
    print(f'RESULT numpy_feature_build_seconds {time.perf_counter() - t0:.3f}')


if __name__ == '__main__':
    main()
