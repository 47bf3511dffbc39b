#!/usr/bin/env python3
"""Turns one step of bench/analysis/run.sh into $RESULTS/<step>_<size>.json and prints its ratios.
  summary.py stats WORK DATA N F K LOAD_BEFORE AGREE
  summary.py match WORK ROWS DIM LOAD_BEFORE
  summary.py correlate WORK DATA N F K LOAD_BEFORE
"""
import os, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from results import result_lines, numpy_blas, write

step, work = sys.argv[1], sys.argv[2]
if step == 'stats':
    data, n, f, k, load0, agree = sys.argv[3:9]
    sw, npy = result_lines(f'{work}/stats_swift.txt'), result_lines(f'{work}/stats_numpy.txt')
    text = open(f'{work}/stats_agree.txt').read().strip().splitlines()
    rec = {'what': 'stats', 'tokens': int(n), 'features': int(f), 'per_token': int(k), 'input_bytes': os.path.getsize(data),
           'swift_seconds_1t': sw['swift_stats_seconds_1t'], 'swift_seconds_all': sw['swift_stats_seconds_all'],
           'numpy_seconds': npy['numpy_stats_seconds'], 'agreement': {'ok': agree == '1', 'text': text[-1] if text else ''},
           'load_before': [float(x) for x in load0.split()]}
    write(f'stats_{n}', rec)
    best = min(rec['swift_seconds_1t'], rec['swift_seconds_all'])
    print(f"stats: numpy {rec['numpy_seconds']:.2f} s / Swift {best:.2f} s = {rec['numpy_seconds'] / best:.1f}x (target >= 5x)")
elif step == 'match':
    rows, dim, load0 = sys.argv[3:6]
    sw, npy = result_lines(f'{work}/match_swift.txt'), result_lines(f'{work}/match_numpy.txt')
    rec = {'what': 'match', 'rows': int(rows), 'dim': int(dim), 'swift_match_seconds': sw['swift_match_seconds'],
           'swift_sgemm_seconds': sw['swift_bare_sgemm_seconds'], 'numpy_dot_seconds': npy['numpy_sgemm_seconds'],
           'numpy_blas': numpy_blas(), 'load_before': [float(x) for x in load0.split()],
           'blas_core': next((l.split(':', 1)[1].strip() for l in open(f'{work}/match_swift.txt') if l.startswith('OpenBLAS kernels:')), None)}
    write(f'match_{rows}_{dim}', rec)
    print(f"matching: Swift {rec['swift_match_seconds']:.2f} s / bare Swift sgemm {rec['swift_sgemm_seconds']:.2f} s = "
          f"{rec['swift_match_seconds'] / rec['swift_sgemm_seconds']:.2f}x (target <= 1.2x); numpy np.dot {rec['numpy_dot_seconds']:.2f} s")
elif step == 'correlate':
    data, n, f, k, load0 = sys.argv[3:8]
    sw, npy = result_lines(f'{work}/corr_swift.txt'), result_lines(f'{work}/corr_numpy.txt')
    a = np.fromfile(f'{work}/corr_swift.f32', np.float32).reshape(-1, 5, 2)
    b = np.fromfile(f'{work}/corr_numpy.f32', np.float32).reshape(-1, 5, 2)
    has = ~np.isnan(a[:, 0, 1]) & ~np.isnan(b[:, 0, 1])
    # the best partner agrees, or the two candidates' correlations tie to float precision
    same = (a[has, 0, 0] == b[has, 0, 0]) | (np.abs(a[has, 0, 1] - b[has, 0, 1]) < 1e-5)
    diff = float(np.nanmax(np.abs(a[has, :, 1] - b[has, :, 1]))) if has.any() else 0.0
    ok = bool(same.all()) and int((np.isnan(a[:, 0, 1]) != np.isnan(b[:, 0, 1])).sum()) == 0 and diff < 1e-4
    rec = {'what': 'correlate', 'tokens': int(n), 'features': int(f), 'per_token': int(k), 'input_bytes': os.path.getsize(data),
           'swift_seconds': sw['swift_correlation_seconds'], 'numpy_seconds': npy['numpy_correlation_seconds'],
           'agreement': {'ok': ok, 'text': f'best partner agrees for {int(same.sum())}/{int(has.sum())} features; '
                                            f'largest top-5 correlation difference {diff:.1e}'},
           'load_before': [float(x) for x in load0.split()]}
    write(f'correlate_{n}', rec)
    print(f"correlation: numpy/scipy {rec['numpy_seconds']:.2f} s / Swift {rec['swift_seconds']:.2f} s = "
          f"{rec['numpy_seconds'] / rec['swift_seconds']:.1f}x; {rec['agreement']['text']}")
else:
    raise SystemExit(__doc__)
