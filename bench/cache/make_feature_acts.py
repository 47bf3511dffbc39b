#!/usr/bin/env python3
"""Writes OUT.features.safetensors (docs/FORMATS.md "Sparse feature activations") for a synthetic
activation file and dictionaries of bench/make_synthetic.py, encoding with numpy in float32 as
bench/cache/numpy_cache.py does (the layout the activation dump writes; here the encoder is numpy's).
Input to the --feature-acts benchmark (bench/cache/feature_acts.sh); numpy only.

  make_feature_acts.py ACTS.safetensors OUT.features.safetensors NAME=DICT_DIR [NAME=DICT_DIR ...] [--batch B]
"""
import json, os, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from npio import read_safetensors, write_safetensors
from numpy_cache import load_dict


def widest_first(tensors):
    """The tensors reordered widest dtype first, so every tensor is aligned in the file."""
    return dict(sorted(tensors.items(), key=lambda kv: -(kv[1][0] if isinstance(kv[1], list) else kv[1]).dtype.itemsize))


def main():
    argv = sys.argv[1:]
    batch = 1365
    if '--batch' in argv:
        i = argv.index('--batch'); batch = int(argv[i + 1]); del argv[i:i + 2]
    acts_path, out, specs = argv[0], argv[1], argv[2:]
    src = read_safetensors(acts_path)
    n_seq, seq_len, d_in = src['activations'].shape
    x_all = src['activations'].reshape(-1, d_in)
    tokens = np.asarray(src['tokens'], np.int32)
    rows = x_all.shape[0]
    real = np.nonzero(tokens.reshape(-1) >= 0)[0]
    rng = np.random.default_rng(0)
    m = max(1, -(-len(real) // 100))
    check = np.sort(rng.choice(real, m, replace=False)).astype(np.int64)
    t = {'tokens': tokens, 'norms': np.zeros(rows, np.float32), 'check.rows': check,
         'check.activations': np.asarray(x_all[check], np.float32)}
    entries = []
    for spec in specs:
        name, folder = spec.split('=', 1)
        d = load_dict(folder)
        f = d['W_enc'].shape[1]
        row_ptr = np.zeros(rows + 1, np.int64)
        feats, vals, pres = [], [], []
        un_all = np.zeros(rows, np.float32); ud_all = np.zeros(rows, np.float32)
        for start in range(0, rows, batch):
            n = min(batch, rows - start)
            x = np.asarray(x_all[start:start + n], np.float32)
            t['norms'][start:start + n] = np.linalg.norm(x, axis=1)
            u = x - d['b_dec']
            un = np.linalg.norm(u, axis=1).astype(np.float32)
            un_all[start:start + n] = un
            ud_all[start:start + n] = u @ d['b_dec']
            p = u @ d['W_enc']
            if d['cosine']:
                logu = np.log(np.where(un > 0, un, 1), dtype=np.float32)
                p *= np.exp(np.multiply.outer(logu, d['alpha_m1'])) * d['inv_wn']
                p[un == 0] = 0
            p += d['b_enc']
            r, c = np.nonzero((p > d['threshold']) & (p > 0))
            keep = tokens.reshape(-1)[r + start] >= 0  # padding rows have no entries
            r, c = r[keep], c[keep]
            v = p[r, c]
            np.add.at(row_ptr, r + start + 1, 1)
            feats.append(c.astype(np.int32)); vals.append(v.astype(np.float32)); pres.append(v.astype(np.float32))
        np.cumsum(row_ptr, out=row_ptr)
        t.update({f'{name}.row_ptr': row_ptr, f'{name}.features': feats, f'{name}.values': vals, f'{name}.pre': pres,
                  f'{name}.u_norm': un_all, f'{name}.u_dot_bdec': ud_all, f'{name}.bdec_norms': un_all.copy()})
        entries.append({'name': name, 'fingerprint': '', 'path': folder, 'architecture': 'cosine' if d['cosine'] else 'jumprelu', 'd_sae': f})
    meta = {'version': 1, 'rows': rows, 'sequences': n_seq, 'sequence_length': seq_len, 'd_in': d_in, 'dictionaries': entries,
            'check': {'seed': 0, 'fraction': 0.01, 'rows': int(m)}, 'producer': 'bench/cache/make_feature_acts.py (numpy)',
            'device': 'cpu', 'dtype': 'f32'}
    write_safetensors(out, widest_first(t), {'saex_features': json.dumps(meta)})
    print(f'wrote {out}: {rows} rows, check sample {m}')


if __name__ == '__main__':
    main()
