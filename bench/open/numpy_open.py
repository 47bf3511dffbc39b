#!/usr/bin/env python3
"""numpy peers of opening a dictionary and a cache (bench/open/run.sh; a benchmark, not a test).

  numpy_open.py dict DIR [--repeat R]     memory-map sae_weights.safetensors, check every float tensor
      for NaN (np.isnan(...).any()) and fold all its bytes into a 64-bit xor (np.bitwise_xor.reduce):
      the reads saex's DictionaryLoader does for its NaN scan and fingerprint.
  numpy_open.py cache PATH [--repeat R]   memory-map the cache, decode its manifest, and check what
      ContextCache checks: token ids inside the vocabulary, vocabulary offsets ascending, each
      dictionary's column pointers ascending from 0 to nnz, row indices inside the sample and
      ascending within each column.
Prints one JSON object: the minimum of R timed runs after one warm-up, and the bytes those checks read.
"""
import json, os, sys, time
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from npio import metadata, read_safetensors


def open_dict(folder):
    t = read_safetensors(os.path.join(folder, 'sae_weights.safetensors'))
    h = np.uint64(0)
    for name in sorted(t):
        a = t[name]
        if a.dtype.kind == 'f' and np.isnan(a).any():
            raise SystemExit(f'{name}: NaN')
        raw = np.asarray(a).reshape(-1).view(np.uint8)
        words = raw[: raw.size // 8 * 8].view(np.uint64)
        h ^= np.bitwise_xor.reduce(words) if words.size else np.uint64(0)
    return int(h)


def open_cache(path):
    t = read_safetensors(path)
    m = json.loads(metadata(path)['saex_cache'])
    rows = m['sample']['rows']
    offsets = t['vocab.offsets']
    vocab = offsets.size - 1
    assert offsets[0] == 0 and offsets[-1] == t['vocab.bytes'].size and (np.diff(offsets) >= 0).all()
    assert (t['sample.tokens'] < vocab).all()
    for i in range(len(m['dictionaries'])):
        cp, r = t[f'd{i}.col_ptr'], t[f'd{i}.rows']
        assert cp[0] == 0 and cp[-1] == r.size and (np.diff(cp) >= 0).all()
        assert (r < rows).all()
        step = np.diff(r.astype(np.int64)) > 0
        step[cp[1:-1][(cp[1:-1] > 0) & (cp[1:-1] < r.size)] - 1] = True  # a new column may start anywhere
        assert step.all()
    return m


def checked_bytes(path):
    t = read_safetensors(path)
    names = ['sample.tokens', 'vocab.offsets'] + [k for k in t if k.endswith('.col_ptr') or k.endswith('.rows')]
    return int(sum(t[k].nbytes for k in names))


what, target = sys.argv[1], sys.argv[2]
repeat = int(sys.argv[sys.argv.index('--repeat') + 1]) if '--repeat' in sys.argv else 5
fn = open_dict if what == 'dict' else open_cache
fn(target)  # warm-up
times = []
for _ in range(repeat):
    t0 = time.perf_counter()
    fn(target)
    times.append(time.perf_counter() - t0)
size = os.path.getsize(os.path.join(target, 'sae_weights.safetensors')) if what == 'dict' else checked_bytes(target)
print(json.dumps({'what': f'numpy-open-{what}', 'seconds_min': min(times), 'seconds_all': times, 'bytes_read': size}))
