#!/usr/bin/env python3
"""Writes the seed corpus of the `cache` fuzz target into fuzz/seeds/cache/ (deterministic).

Run from the repository root after `swift build` (standard library only):
    python3 fuzz/make_cache_seeds.py
Each seed is a tiny cache written by the real `saex cache build` (.build/debug/saex) from tiny
inputs made here: two dictionaries shrunk to d_in 4, d_sae 8 (SAELens jumprelu and cosine, as in
make_config_seeds.py), 3 sequences of 5 tokens and a 10-token vocabulary. Input layout
(Sources/Fuzz/Targets/CacheFuzz.swift): the cache bytes, then optionally b"\\0PART\\0" and the
bytes of its .analysis file, which cache build writes next to it. Both headers are re-padded (see
compact) to keep the seeds small.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_config_seeds import D_IN, SEP, root, safetensors, shrink, shrink_cfg  # noqa: E402

out = os.path.join(root, "fuzz", "seeds", "cache")
saex = os.path.join(root, ".build", "debug", "saex")
SEQS, LEN = 3, 5


def dictionary(tmp, fixture):
    src = os.path.join(root, "fixtures", "loaders", fixture)
    d = os.path.join(tmp, fixture)
    os.makedirs(d)
    with open(os.path.join(d, "cfg.json"), "wb") as f:
        f.write(shrink_cfg(json.load(open(os.path.join(src, "cfg.json")))))
    with open(os.path.join(d, "sae_weights.safetensors"), "wb") as f:
        f.write(shrink(os.path.join(src, "sae_weights.safetensors")))
    return d


def compact(data):
    """The same safetensors file with its header re-padded to 8 bytes instead of saex's page-sized
    padding (about 8 KB of spaces), so that a seed fits in a small max_len, and its JSON keys
    sorted. Tensor data keeps its 8-byte alignment."""
    n = struct.unpack("<Q", data[:8])[0]
    h = json.loads(data[8:8 + n])
    # saex writes the manifest and analysis JSON with keys in hash order; sorted keys make the
    # seeds the same bytes on every run.
    for k, v in h.get("__metadata__", {}).items():
        if k.startswith("saex_"):
            h["__metadata__"][k] = json.dumps(json.loads(v), sort_keys=True, separators=(",", ":"))
    header = json.dumps(h, sort_keys=True, separators=(",", ":")).encode()
    header += b" " * (-(8 + len(header)) % 8)
    return struct.pack("<Q", len(header)) + header + data[8 + n:]


def main():
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    tmp = tempfile.mkdtemp()
    try:
        jr = dictionary(tmp, "saelens_jumprelu")
        cos = dictionary(tmp, "cosine_jumprelu_alpha")
        tokens = [(s * 7 + t * 3) % 10 for s in range(SEQS) for t in range(LEN)]
        acts = [((i * 29) % 23 - 9) / 4 for i in range(SEQS * LEN * D_IN)]
        with open(os.path.join(tmp, "acts.safetensors"), "wb") as f:
            f.write(safetensors([("tokens", "I32", [SEQS, LEN], struct.pack("<%di" % len(tokens), *tokens)),
                                 ("activations", "F32", [SEQS, LEN, D_IN], struct.pack("<%df" % len(acts), *acts))]))
        with open(os.path.join(tmp, "vocab.json"), "w") as f:
            json.dump(["<bos>", "a", " b", "\u00e9", "\u2581c", "\\n", "d e", "\u4e2d", "<pad>", "z"], f)
        small = ["--top-k", "3", "--random", "2", "--bins", "2", "--per-bin", "1"]
        for name, dicts, opts, keep_analysis in [
            ("one_dict_defaults", [("jr", jr)], [], False),
            ("one_dict_small_options", [("jr", jr)], small, True),
            ("two_dicts_analysis", [("jr", jr), ("cos", cos)], small, True),
            ("two_dicts_no_analysis", [("jr", jr), ("cos", cos)], ["--seed", "7"], False),
        ]:
            cache = os.path.join(tmp, name + ".saexcache")
            args = [saex, "cache", "build", "--activations", os.path.join(tmp, "acts.safetensors"),
                    "--vocab", os.path.join(tmp, "vocab.json"), "-o", cache] + opts
            for n, p in dicts:
                args += ["--dict", "%s=%s" % (n, p)]
            subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            data = compact(open(cache, "rb").read())
            if keep_analysis:
                data += SEP + compact(open(cache + ".analysis", "rb").read())
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
    finally:
        shutil.rmtree(tmp)
    for n in sorted(os.listdir(out)):
        print(n, os.path.getsize(os.path.join(out, n)))


if __name__ == "__main__":
    main()
