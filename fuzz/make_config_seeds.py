#!/usr/bin/env python3
"""Writes the seed corpus of the `config` fuzz target into fuzz/seeds/config/ (deterministic).

Run from the repository root: python3 fuzz/make_config_seeds.py   (standard library only)

Each loader fixture in fixtures/loaders/ (SAELens v5/v6, cosine, sparsify) is shrunk to d_in 4,
d_sae 8 so that the whole folder fits in one fuzz input: its cfg.json (with the sizes and k
rewritten), a safetensors file with the same tensor names and dtypes, and activation_scaler.json.
Input layout (Sources/Fuzz/Targets/ConfigFuzz.swift): one mode byte, then the parts separated
by b"\\0PART\\0".
"""
import json
import os
import struct

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, "fuzz", "seeds", "config")
SEP = b"\0PART\0"
D_IN, D_SAE = 4, 8


def encode(dtype, values):
    if dtype == "F32":
        return struct.pack("<%df" % len(values), *values)
    if dtype == "F64":
        return struct.pack("<%dd" % len(values), *values)
    if dtype == "F16":
        return struct.pack("<%de" % len(values), *values)
    if dtype == "BF16":
        return b"".join(struct.pack("<f", v)[2:] for v in values)
    raise ValueError(dtype)


def safetensors(tensors):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-(8 + len(h)) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def shrink(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    tensors = []
    for name, info in sorted(header.items()):
        if name == "__metadata__":
            continue
        shape = [{16: D_IN, 48: D_SAE}.get(s, s) for s in info["shape"]]
        count = 1
        for s in shape:
            count *= s
        if name.startswith("alpha") and name != "alpha_logit":
            values = [(i % 5) / 5 for i in range(count)]
        else:
            values = [((i * 37) % 17 - 8) / 10 for i in range(count)]
        tensors.append((name, info["dtype"], shape, encode(info["dtype"], values)))
    return safetensors(tensors)


def shrink_cfg(cfg):
    for key in ("d_in",):
        if key in cfg:
            cfg[key] = D_IN
    if "d_sae" in cfg:
        cfg["d_sae"] = D_SAE
    if cfg.get("k") is not None:
        cfg["k"] = 2
    if isinstance(cfg.get("activation_fn_kwargs"), dict) and "k" in cfg["activation_fn_kwargs"]:
        cfg["activation_fn_kwargs"]["k"] = 2
    if cfg.get("expansion_factor"):
        cfg["expansion_factor"] = D_SAE // D_IN
    return json.dumps(cfg).encode()


def seed_writer(target):
    """Empties fuzz/seeds/TARGET/ (creating it) and returns write(seed, mode, *parts), which writes
    the seed file holding the mode byte, then the parts separated by SEP."""
    folder = os.path.join(root, "fuzz", "seeds", target)
    os.makedirs(folder, exist_ok=True)
    for f in os.listdir(folder):
        os.remove(os.path.join(folder, f))

    def write(seed, mode, *parts):
        with open(os.path.join(folder, seed), "wb") as f:
            f.write(bytes([mode]) + SEP.join(parts))
    return write


def main():
    write = seed_writer("config")
    loaders = os.path.join(root, "fixtures", "loaders")
    for fixture in sorted(os.listdir(loaders)):
        d = os.path.join(loaders, fixture)
        for sub, weights, mode in (("", "sae_weights.safetensors", 0), ("layers.3", "sae.safetensors", 1)):
            folder = os.path.join(d, sub)
            if not os.path.exists(os.path.join(folder, weights)):
                continue
            cfg = shrink_cfg(json.load(open(os.path.join(folder, "cfg.json"))))
            w = shrink(os.path.join(folder, weights))
            scaler = os.path.join(folder, "activation_scaler.json")
            if os.path.exists(scaler):
                write(fixture, mode | 4, cfg, w, open(scaler, "rb").read())
            else:
                write(fixture, mode, cfg, w)

    # Folder shapes: cfg.json given as a file, both weights files, no weights file, no cfg.json.
    std = os.path.join(loaders, "saelens_standard_f32")
    cfg = shrink_cfg(json.load(open(os.path.join(std, "cfg.json"))))
    w = shrink(os.path.join(std, "sae_weights.safetensors"))
    write("shape_cfg_path", 8, cfg, w)
    write("shape_both_weights", 3, cfg, w)
    write("shape_no_weights", 2, cfg)
    write("shape_no_cfg", 16, cfg, w)
    print("wrote", len(os.listdir(out)), "seeds to", out)


if __name__ == "__main__":
    main()
