#!/usr/bin/env python3
"""Recall of approximate decoder matching, and a numpy check of the exact lists (bench/wide/run.sh).

  recall.py EXACT.analysis APPROX.analysis DICT_A DICT_B [--sample N] [--seed S]

EXACT and APPROX are the same cache's analysis files computed with exact and approximate matching
(`saex-bench analysis-refresh --exact / --approximate`). For each list set (neighbours of A and of
B, A's matches in B, B's in A) it reports the share of features whose exact best match is the
approximate best match (top-1) and the share of the exact top-5 the approximate top-5 holds (top-5),
as saex stored them. Then numpy recomputes, for N features of A drawn at random, their cosines with
every row of A and of B (np.dot on unit rows) and checks that saex's exact top-5 lists are numpy's
(a difference only between cosines equal to 1e-6 is a tie, not a disagreement); the time of those
products, scaled to all rows, is numpy's time for the exact matching's products.
Prints one JSON object. A benchmark, not a test; numpy only.
"""
import json, os, sys, time
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from npio import read_safetensors

K = 5


def lists(path):
    t = read_safetensors(path)
    return {'neighbours_a': np.asarray(t['n0.by_cos.features']), 'neighbours_b': np.asarray(t['n1.by_cos.features']),
            'a_to_b': np.asarray(t['m0_1.by_cos.features']), 'b_to_a': np.asarray(t['m1_0.by_cos.features'])}


def unit_decoder(folder):
    w = np.asarray(read_safetensors(os.path.join(folder, 'sae_weights.safetensors'))['W_dec'], dtype=np.float32)
    n = np.linalg.norm(w, axis=1, keepdims=True)
    return w / np.where(n > 0, n, 1)


def main():
    args = sys.argv[1:]
    opt = lambda name, default: type(default)(args[args.index(name) + 1]) if name in args else default
    exact_path, approx_path, dict_a, dict_b = args[:4]
    sample, seed = opt('--sample', 1000), opt('--seed', 0)
    exact, approx = lists(exact_path), lists(approx_path)
    recall = {}
    for name in exact:
        e, a = exact[name], approx[name]
        has = e[:, 0] >= 0
        top1 = float(np.mean(a[has, 0] == e[has, 0]))
        hits = sum(len(set(e[i][e[i] >= 0]) & set(a[i][a[i] >= 0])) for i in range(e.shape[0]))
        recall[name] = {'top1': top1, 'top5': hits / max(1, int((e >= 0).sum()))}
    ua, ub = unit_decoder(dict_a), unit_decoder(dict_b)
    rows = np.random.default_rng(seed).choice(ua.shape[0], min(sample, ua.shape[0]), replace=False)
    t0 = time.perf_counter()
    ca = ua[rows] @ ua.T
    cb = ua[rows] @ ub.T
    dt = time.perf_counter() - t0
    ca[np.arange(rows.size), rows] = -np.inf
    bad = 0
    for c, key in ((ca, 'neighbours_a'), (cb, 'a_to_b')):
        for i, r in enumerate(rows):
            want = np.argsort(-c[i], kind='stable')[:K]
            got = exact[key][r]
            if not np.array_equal(want, got):
                # Equal cosines may be listed in either order at float precision.
                if np.max(np.abs(np.sort(c[i][want]) - np.sort(c[i][got[got >= 0]]))) > 1e-6:
                    bad += 1
    fa, fb = ua.shape[0], ub.shape[0]
    # The exact method's products: A's neighbour triangle, B's, and A x B; the sample did rows x (F_A + F_B).
    scale = (fa * fa / 2 + fb * fb / 2 + fa * fb) / (rows.size * (fa + fb))
    print(json.dumps({'what': 'recall', 'recall': recall, 'numpy_sample_rows': int(rows.size), 'numpy_disagreements': bad,
                      'numpy_sample_seconds': dt, 'numpy_products_seconds_scaled': dt * scale}, sort_keys=True))


if __name__ == '__main__':
    main()
