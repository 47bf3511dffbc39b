#!/usr/bin/env python3
"""Writes the logit-effects fixtures: three unembedding files in the layout scripts/dump_activations.py
writes (OUT.unembed.safetensors, docs/BRIDGE.md) for the d_in = 16 dictionaries of fixtures/loaders, and
expected.json with every feature's fifteen most positive and most negative effects computed here in float64
with numpy (docs/ANALYSIS.md "Logit effects"):

    effect_i = (W_dec[i] - mean(W_dec[i]) for a LayerNorm) * (final_norm.weight + offset) @ W_U

Columns 5 and 9 (6 in the 7-token one) of each W_U are equal, so their effects tie exactly: the lower id must come first.
Run from this folder: python3 make_logits.py"""
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../../../../.."))
DICTS = {"jumprelu": "fixtures/loaders/saelens_jumprelu/sae_weights.safetensors",
         "cosine": "fixtures/loaders/cosine_topk_alpha_logit/sae_weights.safetensors"}
K = 10


def st_read(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    h.pop("__metadata__", None)
    out = {}
    for k, v in h.items():
        s, e = v["data_offsets"]
        dt = {"F32": "<f4", "F16": "<f2", "F64": "<f8"}.get(v["dtype"])
        if dt:
            out[k] = np.frombuffer(b[8 + n + s:8 + n + e], dtype=dt).reshape(v["shape"])
    return out


def st_write(path, tensors, meta):
    header, blobs, off = {"__metadata__": meta}, [], 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def unembed(name, rng, vocab, norm, offset):
    w = rng.standard_normal((16, vocab)).astype(np.float32)
    w[:, min(9, vocab - 1)] = w[:, 5]
    tensors = {"W_U": w}
    meta = {"architecture": name, "d_model": "16", "d_vocab": str(vocab), "final_norm": norm, "final_norm_weight_offset": str(offset)}
    scale = None
    if norm != "none":
        g = (rng.standard_normal(16) * 0.5 + (0 if offset else 1)).astype(np.float32)
        tensors["final_norm.weight"] = g
        scale = g.astype(np.float64) + offset
        if norm == "LayerNorm":
            tensors["final_norm.bias"] = rng.standard_normal(16).astype(np.float32)
    st_write(os.path.join(HERE, name + ".unembed.safetensors"), tensors, meta)
    return w.astype(np.float64), scale


def effects(w_dec, w_u, scale, norm):
    d = w_dec.astype(np.float64)
    if norm == "LayerNorm":
        d = d - d.mean(axis=1, keepdims=True)
    if scale is not None:
        d = d * scale
    return d @ w_u


def main():
    rng = np.random.default_rng(16)
    expected = {}
    for name, vocab, norm, offset in [("layernorm", 300, "LayerNorm", 0), ("gemma", 257, "RMSNorm", 1), ("none", 7, "none", 0)]:
        w_u, scale = unembed(name, rng, vocab, norm, offset)
        expected[name] = {}
        for dname, rel in DICTS.items():
            e = effects(st_read(os.path.join(ROOT, rel))["W_dec"], w_u, scale, norm)
            # stable sorts: equal values keep the lower token id first. Five more than kept on each side, so
            # that an id float32 rounding lets in at the cut can be looked up.
            k = min(K + 5, vocab)
            pos = np.argsort(-e, axis=1, kind="stable")[:, :k]
            neg = np.argsort(e, axis=1, kind="stable")[:, :k]
            expected[name][dname] = {"count": min(K, vocab),
                                     "positive_ids": pos.tolist(), "positive_values": np.take_along_axis(e, pos, 1).tolist(),
                                     "negative_ids": neg.tolist(), "negative_values": np.take_along_axis(e, neg, 1).tolist()}
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    main()
