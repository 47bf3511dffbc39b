#!/usr/bin/env python3
"""numpy peer of `saex cache build` (bench/cache/run.sh; a benchmark, not a test).

  numpy_cache.py ACTS.safetensors OUT.json NAME=DICT_DIR [NAME=DICT_DIR ...] [--batch B] [--features 0,1,...]

Does the same work as SAEKit's CacheBuilder, minus the file writing and elasticity sums: per batch
of B rows (CacheBuilder's batch by default), ||x|| per row, then per dictionary u = x - b_dec,
pre = u @ W_enc (one np.dot), for cosine dictionaries pre = pre * ||u||^(alpha-1) / ||W_enc[:, i]||,
then + b_enc and JumpReLU (v > threshold and v > 0); ||x - b_dec|| per row; every nonzero collected
as (row, feature, value). Afterwards per dictionary: CSC (stable radix argsort of the uint16 feature
ids), top-32 rows per feature (value descending, lower row first on ties), and 10 equal-width
interval bins over [smallest positive activation, max] with their counts. Prints RESULT lines with times; OUT.json keeps the
top-32 and bin counts of the --features for comparison with `saex contexts --format json`.
"""
import json, os, sys, time
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from npio import read_safetensors
from npexamples import bin_counts, top_rows

TOPK, BINS = 32, 10


def load_dict(folder):
    cfg = json.load(open(folder + '/cfg.json'))
    t = read_safetensors(folder + '/sae_weights.safetensors')
    d = {k: np.ascontiguousarray(v) for k, v in t.items()}
    d['cosine'] = cfg['architecture'] == 'cosine'
    assert cfg.get('apply_b_dec_to_input', True) and cfg.get('normalize_activations', 'none') == 'none'
    if d['cosine']:
        wn = np.linalg.norm(d['W_enc'], axis=0)
        d['inv_wn'] = np.where(wn > 0, 1 / np.where(wn > 0, wn, 1), 0).astype(np.float32)
        d['alpha_m1'] = (d['alpha'] - 1).astype(np.float32)
    return d


def main():
    argv = sys.argv[1:]
    batch, feats = None, [0, 1, 2, 100, 5000, 16383]
    if '--batch' in argv:
        i = argv.index('--batch'); batch = int(argv[i + 1]); del argv[i:i + 2]
    if '--features' in argv:
        i = argv.index('--features'); feats = [int(s) for s in argv[i + 1].split(',')]; del argv[i:i + 2]
    acts_path, out_path, specs = argv[0], argv[1], argv[2:]
    t0 = time.perf_counter()
    src = read_safetensors(acts_path)
    x_all = src['activations']
    n_seq, seq_len, d_in = x_all.shape
    x_all = x_all.reshape(n_seq * seq_len, d_in)
    rows = x_all.shape[0]
    dicts = [(s.split('=', 1)[0], load_dict(s.split('=', 1)[1])) for s in specs]
    d_sae_max = max(d['W_enc'].shape[1] for _, d in dicts)
    if batch is None:
        batch = max(1, min(4096, (256 << 20) // (12 * d_sae_max)))
    t_load = time.perf_counter() - t0

    norms = np.zeros(rows, np.float32)
    bdec_norms = [np.zeros(rows, np.float32) for _ in dicts]
    parts = [([], [], []) for _ in dicts]
    pre = np.empty((batch, d_sae_max), np.float32)
    t_gemm = 0.0
    t1 = time.perf_counter()
    for start in range(0, rows, batch):
        n = min(batch, rows - start)
        x = np.asarray(x_all[start:start + n], dtype=np.float32)
        norms[start:start + n] = np.linalg.norm(x, axis=1)
        for di, (_, d) in enumerate(dicts):
            f = d['W_enc'].shape[1]
            u = x - d['b_dec']
            bdec_norms[di][start:start + n] = np.linalg.norm(u, axis=1)
            p = pre[:n, :f]
            tg = time.perf_counter()
            np.dot(u, d['W_enc'], out=p)
            t_gemm += time.perf_counter() - tg
            if d['cosine']:
                un = np.linalg.norm(u, axis=1).astype(np.float32)
                logu = np.log(np.where(un > 0, un, 1), dtype=np.float32)
                scale = np.exp(np.multiply.outer(logu, d['alpha_m1']))
                scale *= d['inv_wn']
                p *= scale
                p[un == 0] = 0
            p += d['b_enc']
            mask = (p > d['threshold']) & (p > 0)
            r, c = np.nonzero(mask)
            parts[di][0].append((r + start).astype(np.uint32))
            parts[di][1].append(c.astype(np.uint16))
            parts[di][2].append(p[r, c])
    t_encode = time.perf_counter() - t1

    t2 = time.perf_counter()
    report = {}
    nnz_total = 0
    for di, (name, d) in enumerate(dicts):
        f = d['W_enc'].shape[1]
        r = np.concatenate(parts[di][0]); c = np.concatenate(parts[di][1]); v = np.concatenate(parts[di][2])
        parts[di] = None
        order = np.argsort(c, kind='stable')  # radix sort for uint16: rows stay ascending per column
        r = r[order]; v = v[order]
        colptr = np.zeros(f + 1, np.int64)
        np.cumsum(np.bincount(c, minlength=f), out=colptr[1:])
        del order, c
        nnz_total += len(v)
        top = top_rows(colptr, r, v, TOPK)
        counts_per = np.diff(colptr)
        bins = bin_counts(colptr, v, BINS)
        report[name] = {str(i): {'active': int(counts_per[i]),
                                 'top': [[int(r[j]), float(v[j])] for j in top[i]],
                                 'bins': bins[i].tolist()} for i in feats if i < f}
        report[name]['_nonzeros'] = int(len(v))
    t_post = time.perf_counter() - t2
    json.dump({'seq_len': int(seq_len), 'dicts': report}, open(out_path, 'w'))
    print(f'numpy {np.__version__}, rows {rows}, d_in {d_in}, batch {batch}, nonzeros {nnz_total}')
    print(f'RESULT numpy_load_seconds {t_load:.3f}')
    print(f'RESULT numpy_encode_seconds {t_encode:.3f}')
    print(f'RESULT numpy_npdot_seconds {t_gemm:.3f}')
    print(f'RESULT numpy_post_seconds {t_post:.3f}')
    print(f'RESULT numpy_total_seconds {t_load + t_encode + t_post:.3f}')


if __name__ == '__main__':
    main()
