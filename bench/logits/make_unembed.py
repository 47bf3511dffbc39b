#!/usr/bin/env python3
"""A random unembedding in the layout scripts/dump_activations.py writes (OUT.unembed.safetensors,
docs/BRIDGE.md), shaped like GPT-2 small's by default: W_U [768, 50257] F32, a LayerNorm final norm
(final_norm.weight and .bias), tied embeddings. Seeded; numpy only.
  make_unembed.py OUT --d-model 768 --d-vocab 50257"""
import argparse, json, os, sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from make_synthetic import write_safetensors  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument('out')
p.add_argument('--d-model', type=int, default=768)
p.add_argument('--d-vocab', type=int, default=50257)
a = p.parse_args()
rng = np.random.default_rng(21)
w = (rng.standard_normal((a.d_model, a.d_vocab), dtype=np.float32) * 0.02).astype(np.float32)
meta = {'architecture': 'gpt2', 'model_name': 'random-gpt2-shaped', 'd_model': str(a.d_model), 'd_vocab': str(a.d_vocab),
        'final_norm': 'LayerNorm', 'final_norm_weight_offset': '0', 'final_norm_eps': '1e-05', 'tied_embeddings': 'true'}
meta['saex_unembed'] = json.dumps({'version': 1, **meta})
write_safetensors(a.out, {'W_U': w, 'final_norm.weight': (1 + 0.1 * rng.standard_normal(a.d_model)).astype(np.float32),
                          'final_norm.bias': (0.01 * rng.standard_normal(a.d_model)).astype(np.float32)}, meta)
