#!/usr/bin/env python3
"""The numpy peer of saex's logit effects (LogitTable): the same work on the same files, in the same
blocks of features: each decoder row centred (LayerNorm) and scaled by the final norm's weight, one
np.dot per block of the [features, d_vocab] logits, the ten largest and ten smallest of each row
(np.argpartition, then sorted). Then np.dot alone over the same blocks (numpy's limit). Prints
RESULT lines, and whether its ids for the first features equal saex's (--saex-json).
  numpy_logits.py DICT_DIR UNEMBED [--saex-json FILE]"""
import argparse, json, os, sys, time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from npio import metadata, read_safetensors  # noqa: E402
from results import json_line  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('dict_dir')
p.add_argument('unembed')
p.add_argument('--saex-json')
a = p.parse_args()
K, BLOCK_BYTES = 10, 64 << 20

t0 = time.perf_counter()
u = read_safetensors(a.unembed)
meta = metadata(a.unembed)
w_u = np.ascontiguousarray(u['W_U'], dtype=np.float32)
if not np.isfinite(w_u).all():
    raise SystemExit('W_U is not finite')
scale = None
if meta.get('final_norm', 'none') != 'none':
    scale = (u['final_norm.weight'].astype(np.float32) + np.float32(float(meta.get('final_norm_weight_offset', '0'))))
t_open = time.perf_counter() - t0
w_dec = np.ascontiguousarray(read_safetensors(os.path.join(a.dict_dir, 'sae_weights.safetensors'))['W_dec'], dtype=np.float32)
d_sae, d_model = w_dec.shape
v = w_u.shape[1]
rows = max(1, min(d_sae, BLOCK_BYTES // (4 * v)))

t0 = time.perf_counter()
pos = np.empty((d_sae, K), np.int64)
neg = np.empty((d_sae, K), np.int64)
for s in range(0, d_sae, rows):
    d = w_dec[s:s + rows]
    if meta.get('final_norm') == 'LayerNorm':
        d = d - d.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
    if scale is not None:
        d = d * scale
    logits = np.dot(d, w_u)
    top = np.argpartition(-logits, K, axis=1)[:, :K]
    bot = np.argpartition(logits, K, axis=1)[:, :K]
    tv = np.take_along_axis(logits, top, 1)
    bv = np.take_along_axis(logits, bot, 1)
    pos[s:s + rows] = np.take_along_axis(top, np.lexsort((top, -tv), axis=1), 1)
    neg[s:s + rows] = np.take_along_axis(bot, np.lexsort((bot, bv), axis=1), 1)
t_logits = time.perf_counter() - t0

a_blk = np.random.default_rng(3).standard_normal((rows, d_model), dtype=np.float32)
t0 = time.perf_counter()
for s in range(0, d_sae, rows):
    np.dot(a_blk[:min(rows, d_sae - s)], w_u)
t_dot = time.perf_counter() - t0

print(f'RESULT numpy_logits_seconds {t_logits:.6f}')
print(f'RESULT numpy_dot_seconds {t_dot:.6f}')
print(f'RESULT numpy_open_seconds {t_open:.6f}')
if a.saex_json:
    s = json_line(a.saex_json)
    n = len(s['first_positive_ids']) // K
    same = s['first_positive_ids'] == pos[:n].reshape(-1).tolist() and s['first_negative_ids'] == neg[:n].reshape(-1).tolist()
    print(f'RESULT same_ids_first_{n}_features {int(same)}')
