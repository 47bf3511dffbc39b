#!/usr/bin/env python3
"""Synthetic but realistically sized inputs for saex benchmarks (numpy only, seeded).

  make_synthetic.py dict OUT_DIR --d-in 2304 --d-sae 16384 [--kind standard|cosine] [--l0 64]
      A SAELens jumprelu folder (or our cosine format) with F32 weights. The JumpReLU threshold is
      calibrated on tokens drawn like `acts` below so that about --l0 features fire per token, as
      in a trained SAE (a fixed threshold made half of all features fire on every token).
  make_synthetic.py dict OUT_DIR ... --structure families
      The same files, but decoder directions with the structure trained dictionaries have instead of
      independent random directions: features come in families around shared parent directions
      (cosine to the parent 0.3 to 0.9), and the cosine dictionary reuses, perturbed (cosine 0.6 to
      0.98), the directions of 70% of the standard dictionary's features (the rest are new children
      of the same parents). So features have near neighbours in their own dictionary and matches in
      the other, as real dictionary pairs do, which approximate matching relies on. Written in
      blocks of rows straight into the file, so a million features fit in memory. The threshold is
      calibrated on tokens of equal norm (acts --flat-norm): with one threshold and isotropic
      tokens, a wide JumpReLU's L0 grows with about the 15th power of the token's norm at a million
      features (its threshold sits 3.8 standard deviations out), so on tokens of varied norm a few
      tokens would hold thousands of features each and most none.
  make_synthetic.py acts OUT.safetensors --d-in 768 --tokens 100000 [--seq-len 128] [--flat-norm]
      activations [n_seq, seq_len, d_in] F16 with a heavy-tailed norm distribution and tokens I32,
      plus OUT.vocab.json (a JSON array of 50,000 strings). --flat-norm: every token of norm
      sqrt(d_in) instead (as after a layer norm), for the family dictionaries.
"""
import argparse, json, os
import numpy as np
from npio import write_header, write_safetensors


def flat_norm(x):
    """Each row scaled to norm sqrt(d_in)."""
    return x * (np.sqrt(x.shape[-1]) / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12))


def sample_tokens(d_in, n, seed, flat=False):
    """Tokens distributed like make_acts' (log-normal scale, a few high-norm BOS-like ones; or, flat,
    all of norm sqrt(d_in))."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d_in), dtype=np.float32)
    if flat:
        return flat_norm(x).astype(np.float32)
    scale = np.exp(0.3 * rng.standard_normal((n, 1))).astype(np.float32)
    scale[:: 128] *= 8
    return x * scale


def calibrated_threshold(t, kind, d_in, l0, n=2048):
    """One threshold for all features such that the mean L0 on sample tokens is about `l0`."""
    x = sample_tokens(d_in, n, seed=7)
    u = x - t['b_dec']
    pre = u @ t['W_enc']
    if kind == 'cosine':
        un = np.linalg.norm(u, axis=1, keepdims=True)
        wn = np.linalg.norm(t['W_enc'], axis=0, keepdims=True)
        pre = pre / wn * un ** (t['alpha'][None, :] - 1)
    pre = pre + t['b_enc']
    d_sae = pre.shape[1]
    q = 1 - min(1.0, l0 / d_sae)
    return max(0.0, float(np.quantile(pre, q)))


def make_dict(out, d_in, d_sae, kind, seed=0, l0=64):
    rng = np.random.default_rng(seed)
    w_dec = rng.standard_normal((d_sae, d_in), dtype=np.float32)
    w_dec /= np.linalg.norm(w_dec, axis=1, keepdims=True)
    w_enc = (w_dec.T + 0.1 * rng.standard_normal((d_in, d_sae), dtype=np.float32)).astype(np.float32)
    t = {'W_enc': w_enc, 'b_enc': (-0.05 * np.abs(rng.standard_normal(d_sae))).astype(np.float32),
         'W_dec': w_dec, 'b_dec': (0.01 * rng.standard_normal(d_in)).astype(np.float32),
         'threshold': np.full(d_sae, 0.2, np.float32)}
    cfg = {'architecture': 'jumprelu', 'd_in': d_in, 'd_sae': d_sae, 'dtype': 'float32', 'apply_b_dec_to_input': True,
           'normalize_activations': 'none', 'metadata': {'model_name': 'synthetic', 'hook_name': 'synthetic'}}
    if kind == 'cosine':
        cfg['architecture'] = 'cosine'
        t['alpha'] = rng.uniform(0.05, 0.5, d_sae).astype(np.float32)
    t['threshold'] = np.full(d_sae, calibrated_threshold(t, kind, d_in, l0), np.float32)
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, 'sae_weights.safetensors'), t)
    with open(os.path.join(out, 'cfg.json'), 'w') as f:
        json.dump(cfg, f)


def make_acts(out, d_in, tokens, seq_len, seed=1, flat=False):
    rng = np.random.default_rng(seed)
    n_seq = tokens // seq_len
    x = rng.standard_normal((n_seq, seq_len, d_in), dtype=np.float32)
    scale = np.exp(0.3 * rng.standard_normal((n_seq, seq_len, 1))).astype(np.float32)
    scale[:, 0] *= 8  # a BOS-like high-norm first token, as in real residual streams
    x = (flat_norm(x) if flat else x * scale).astype(np.float16)
    toks = rng.integers(1, 50000, (n_seq, seq_len)).astype(np.int32)
    write_safetensors(out, {'activations': x, 'tokens': toks})
    with open(out + '.vocab.json', 'w') as f:
        json.dump(['tok%d' % i for i in range(50000)], f)


FAMILY_SIZE = 16     # features per parent direction, on average
SHARED = 0.7         # share of the cosine dictionary's features that perturb a standard one
BLOCK = 32768        # rows generated at a time


def unit_rows(a):
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)


def family_block(d_in, d_sae, kind, block, seed):
    """Decoder rows [rows x d_in] of features block*BLOCK ... for `kind` (deterministic per block)."""
    n_parents = max(1, d_sae // FAMILY_SIZE)
    parents = unit_rows(np.random.default_rng([seed, 1]).standard_normal((n_parents, d_in), dtype=np.float32))
    lo, hi = block * BLOCK, min(d_sae, (block + 1) * BLOCK)
    def children(rng, n):
        c = rng.uniform(0.3, 0.9, (n, 1)).astype(np.float32)
        noise = unit_rows(rng.standard_normal((n, d_in), dtype=np.float32))
        return unit_rows(c * parents[rng.integers(0, n_parents, n)] + np.sqrt(1 - c * c) * noise)
    a = children(np.random.default_rng([seed, 2, block]), hi - lo)
    if kind != 'cosine':
        return a
    rng = np.random.default_rng([seed, 3, block])
    n = hi - lo
    shared = rng.uniform(size=n) < SHARED
    c = rng.uniform(0.6, 0.98, (n, 1)).astype(np.float32)
    noise = unit_rows(rng.standard_normal((n, d_in), dtype=np.float32))
    b = unit_rows(c * a[rng.permutation(n)] + np.sqrt(1 - c * c) * noise)
    fresh = children(rng, n)
    return np.where(shared[:, None], b, fresh).astype(np.float32)


def open_safetensors(path, shapes):
    """Writes the header of an F32 safetensors file with tensors of `shapes` and returns writable arrays."""
    header, off = {}, 0
    for k, shape in shapes.items():
        size = 4 * int(np.prod(shape))
        header[k] = {'dtype': 'F32', 'shape': list(shape), 'data_offsets': [off, off + size]}
        off += size
    with open(path, 'wb') as f:
        start = write_header(f, header)
        f.truncate(start + off)
    mm = np.memmap(path, dtype=np.uint8, mode='r+')
    out = {}
    for k, shape in shapes.items():
        a, b = header[k]['data_offsets']
        out[k] = mm[start + a:start + b].view(np.float32).reshape(shape)
    return mm, out


def make_family_dict(out, d_in, d_sae, kind, seed=0, l0=64):
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, 'sae_weights.safetensors')
    shapes = {'W_enc': (d_in, d_sae), 'b_enc': (d_sae,), 'W_dec': (d_sae, d_in), 'b_dec': (d_in,), 'threshold': (d_sae,)}
    if kind == 'cosine':
        shapes['alpha'] = (d_sae,)
    tmp = path + '.tmp'
    mm, t = open_safetensors(tmp, shapes)
    rng = np.random.default_rng([seed, 4])
    t['b_enc'][:] = -0.05 * np.abs(rng.standard_normal(d_sae))
    t['b_dec'][:] = 0.01 * rng.standard_normal(d_in)
    if kind == 'cosine':
        t['alpha'][:] = rng.uniform(0.05, 0.5, d_sae)
    # The threshold keeps about l0 features active per token: the (l0 * n)-th largest
    # pre-activation over n sample tokens, from each block's largest.
    n = max(64, min(2048, (1 << 28) // d_sae))
    x = sample_tokens(d_in, n, seed=7, flat=True)
    u = x - t['b_dec']
    un = np.linalg.norm(u, axis=1, keepdims=True)
    keep = min(n * d_sae, l0 * n)
    best = np.empty(0, np.float32)
    for block in range((d_sae + BLOCK - 1) // BLOCK):
        lo, hi = block * BLOCK, min(d_sae, (block + 1) * BLOCK)
        dec = family_block(d_in, d_sae, kind, block, seed)
        enc = (dec.T + 0.1 * np.random.default_rng([seed, 5, block]).standard_normal((d_in, hi - lo), dtype=np.float32)).astype(np.float32)
        t['W_dec'][lo:hi] = dec
        t['W_enc'][:, lo:hi] = enc
        pre = u @ enc
        if kind == 'cosine':
            pre = pre / np.linalg.norm(enc, axis=0, keepdims=True) * un ** (t['alpha'][None, lo:hi] - 1)
        pre = (pre + t['b_enc'][lo:hi]).ravel()
        best = np.concatenate([best, np.partition(pre, pre.size - min(keep, pre.size))[pre.size - min(keep, pre.size):]])
        best = np.partition(best, best.size - min(keep, best.size))[best.size - min(keep, best.size):]
    t['threshold'][:] = max(0.0, float(best.min()))
    mm.flush()
    del mm, t
    os.replace(tmp, path)
    cfg = {'architecture': 'cosine' if kind == 'cosine' else 'jumprelu', 'd_in': d_in, 'd_sae': d_sae, 'dtype': 'float32',
           'apply_b_dec_to_input': True, 'normalize_activations': 'none',
           'metadata': {'model_name': 'synthetic', 'hook_name': 'synthetic'}}
    with open(os.path.join(out, 'cfg.json'), 'w') as f:
        json.dump(cfg, f)


if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('what', choices=['dict', 'acts'])
    p.add_argument('out')
    p.add_argument('--d-in', type=int, default=768)
    p.add_argument('--d-sae', type=int, default=16384)
    p.add_argument('--kind', choices=['standard', 'cosine'], default='standard')
    p.add_argument('--tokens', type=int, default=100000)
    p.add_argument('--seq-len', type=int, default=128)
    p.add_argument('--l0', type=int, default=64, help='target active features per token (dict)')
    p.add_argument('--structure', choices=['none', 'families'], default='none', help='decoder directions (dict)')
    p.add_argument('--flat-norm', action='store_true', help='every token of norm sqrt(d_in) (acts)')
    a = p.parse_args()
    if a.what == 'dict' and a.structure == 'families':
        make_family_dict(a.out, a.d_in, a.d_sae, a.kind, l0=a.l0)
    elif a.what == 'dict':
        make_dict(a.out, a.d_in, a.d_sae, a.kind, l0=a.l0)
    else:
        make_acts(a.out, a.d_in, a.tokens, a.seq_len, flat=a.flat_norm)
