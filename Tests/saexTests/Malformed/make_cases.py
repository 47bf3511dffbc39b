#!/usr/bin/env python3
"""Writes the malformed-input corpus under Tests/saexTests/Malformed/files/ (numpy only).

Run from the repository root: python3 Tests/saexTests/Malformed/make_cases.py
The damaged caches start from files/good.saexcache, a tiny valid cache built with
`saex cache build` (see build_good_cache); cases.json holds each case's expected message.
Unreadable files (chmod 000) cannot be committed; the test makes them (see MalformedInputTests).
"""
import gzip, json, os, shutil, struct, subprocess, sys
import numpy as np

ROOT = os.getcwd()
OUT = os.path.join(ROOT, "Tests/saexTests/Malformed/files")
JR = os.path.join(ROOT, "fixtures/loaders/saelens_jumprelu")
COS = os.path.join(ROOT, "fixtures/loaders/cosine_jumprelu_alpha")


def st_read(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    meta = h.pop("__metadata__", None)
    tensors = {}
    for k, v in h.items():
        s, e = v["data_offsets"]
        dt = {"F32": "<f4", "I32": "<i4", "I64": "<i8", "U32": "<u4", "U8": "u1", "F64": "<f8", "F16": "<f2"}[v["dtype"]]
        tensors[k] = np.frombuffer(b[8 + n + s:8 + n + e], dtype=dt).reshape(v["shape"]).copy()
    return tensors, meta


def st_bytes(tensors, meta=None):
    header, off, blobs = {}, 0, []
    if meta is not None:
        header["__metadata__"] = meta
    names = {np.dtype("<f4"): "F32", np.dtype("<i4"): "I32", np.dtype("<i8"): "I64", np.dtype("<u4"): "U32",
             np.dtype("u1"): "U8", np.dtype("<f8"): "F64", np.dtype("<f2"): "F16"}
    # 8-byte types first, then 4, 2 and 1: every tensor stays aligned to its element size (saex maps caches in place)
    for k, a in sorted(tensors.items(), key=lambda kv: -kv[1].dtype.itemsize):
        raw = np.ascontiguousarray(a).tobytes()
        header[k] = {"dtype": names[a.dtype], "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def write(rel, data):
    p = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def dict_folder(rel, src=JR, cfg=None, weights=None):
    """A copy of a loader fixture with cfg.json and/or sae_weights.safetensors replaced."""
    os.makedirs(os.path.join(OUT, rel), exist_ok=True)
    write(rel + "/cfg.json", cfg if cfg is not None else open(src + "/cfg.json", "rb").read())
    if weights is not None:
        write(rel + "/sae_weights.safetensors", weights)
    else:
        shutil.copy(src + "/sae_weights.safetensors", os.path.join(OUT, rel, "sae_weights.safetensors"))


def folder(rel):
    """A folder where a file is expected; git keeps no empty folder, so it holds a .gitkeep."""
    write(rel + "/.gitkeep", b"")


def npy(arr, fortran=False, descr=None, cut=0, magic=b"\x93NUMPY", header=None):
    d = descr or arr.dtype.str
    h = header or "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (d, "True" if fortran else "False", tuple(arr.shape))
    h = h.encode()
    pad = 64 - (10 + len(h) + 1) % 64
    h = h + b" " * pad + b"\n"
    data = (np.asfortranarray(arr) if fortran else arr).tobytes(order="F" if fortran else "C")
    if descr and descr.startswith(">"):
        data = arr.astype(descr).tobytes()
    b = magic + b"\x01\x00" + struct.pack("<H", len(h)) + h + data
    return b[:len(b) - cut] if cut else b


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    w, _ = st_read(JR + "/sae_weights.safetensors")
    good = st_bytes(w, {"format": "pt"})
    cfg = json.load(open(JR + "/cfg.json"))

    # dictionaries (saex inspect)
    dict_folder("dict_truncated", weights=good[:len(good) // 2])
    dict_folder("dict_header_len_too_big", weights=struct.pack("<Q", 10**6) + good[8:])
    dict_folder("dict_header_len_huge", weights=struct.pack("<Q", 2**63) + good[8:])
    dict_folder("dict_header_len_cuts_json", weights=struct.pack("<Q", 40) + good[8:])
    dict_folder("dict_header_garbage", weights=struct.pack("<Q", 16) + b"\xff\xfe not json!!!" + b"\0" * 64)
    dict_folder("dict_empty_weights", weights=b"")
    dict_folder("dict_offsets_past_end", weights=good[:-64])
    ww = dict(w); ww["W_enc"] = w["W_enc"][:, :40].copy()
    dict_folder("dict_wrong_shape_wenc", weights=st_bytes(ww))
    ww = dict(w); ww["b_dec"] = w["b_dec"][:8].copy()
    dict_folder("dict_wrong_shape_bdec", weights=st_bytes(ww))
    ww = dict(w); ww["W_enc"] = w["W_enc"].copy(); ww["W_enc"][3, 5] = np.nan
    dict_folder("dict_nan_wenc", weights=st_bytes(ww))
    ww = dict(w); ww["b_enc"] = w["b_enc"].copy(); ww["b_enc"][0] = np.inf
    dict_folder("dict_inf_benc", weights=st_bytes(ww))
    ww = dict(w); del ww["W_enc"]
    dict_folder("dict_missing_wenc", weights=st_bytes(ww))
    ww = dict(w); ww["threshold"] = np.arange(48, dtype="<i4")
    dict_folder("dict_threshold_int", weights=st_bytes(ww))
    cw, _ = st_read(COS + "/sae_weights.safetensors")
    for name, val in [("dict_alpha_above_one", 1.5), ("dict_alpha_negative", -0.25), ("dict_alpha_nan", np.nan)]:
        ww = dict(cw); ww["alpha"] = cw["alpha"].copy(); ww["alpha"][7] = val
        dict_folder(name, src=COS, weights=st_bytes(ww))
    dict_folder("dict_cfg_empty", cfg=b"")
    dict_folder("dict_cfg_truncated", cfg=json.dumps(cfg)[:50])
    dict_folder("dict_cfg_array", cfg="[16, 48]")
    dict_folder("dict_cfg_unknown_arch", cfg=json.dumps(dict(cfg, architecture="quantum")))
    dict_folder("dict_cfg_d_in_string", cfg=json.dumps(dict(cfg, d_in="16")))
    dict_folder("dict_cfg_d_sae_fraction", cfg=json.dumps(dict(cfg, d_sae=48.5)))
    dict_folder("dict_cfg_d_in_mismatch", cfg=json.dumps(dict(cfg, d_in=32)))
    dict_folder("dict_cfg_apply_bdec_string", cfg=json.dumps(dict(cfg, apply_b_dec_to_input="yes")))
    dict_folder("dict_cfg_arch_number", cfg=json.dumps(dict(cfg, architecture=5)))
    folder("dict_weights_is_dir/sae_weights.safetensors")
    write("dict_weights_is_dir/cfg.json", json.dumps(cfg))
    folder("dict_cfg_is_dir/cfg.json")
    shutil.copy(JR + "/sae_weights.safetensors", os.path.join(OUT, "dict_cfg_is_dir/sae_weights.safetensors"))

    # activations and vocabularies (saex cache build, saex encode)
    rng = np.random.default_rng(7)
    acts = rng.standard_normal((2, 6, 16)).astype("<f4")
    toks = rng.integers(0, 10, (2, 6)).astype("<i4")
    write("vocab10.json", json.dumps(["<pad>", "a", "b", "c", "d", "e", "f", "g", "h", "i"]))
    write("acts_good.safetensors", st_bytes({"tokens": toks, "activations": acts}))
    write("acts_d_in_8.safetensors", st_bytes({"tokens": toks, "activations": acts[:, :, :8].copy()}))
    bad = toks.copy(); bad[1, 3] = 99
    write("acts_token_outside_vocab.safetensors", st_bytes({"tokens": bad, "activations": acts}))
    write("acts_no_tokens.safetensors", st_bytes({"activations": acts}))
    write("acts_tokens_shape.safetensors", st_bytes({"tokens": toks[:, :4].copy(), "activations": acts}))
    write("acts_tokens_float.safetensors", st_bytes({"tokens": toks.astype("<f4"), "activations": acts}))
    write("acts_truncated.safetensors", st_bytes({"tokens": toks, "activations": acts})[:300])
    write("acts_empty.safetensors", b"")
    folder("acts_is_dir.safetensors")
    write("vocab_empty.json", b"")
    write("vocab_numbers.json", "[1, 2, 3]")
    write("vocab_bad_key.json", json.dumps({"zero": "a"}))
    flat = acts.reshape(12, 16)
    write("npy_fortran.npy", npy(flat, fortran=True))
    write("npy_bigendian.npy", npy(flat, descr=">f4"))
    write("npy_truncated.npy", npy(flat, cut=100))
    write("npy_bad_magic.npy", npy(flat, magic=b"\x93NUMPX"))
    write("npy_header_not_dict.npy", npy(flat, header="[1, 2, 3]"))
    write("npy_object_dtype.npy", npy(flat, descr="|O"))

    # unembeddings (saex cache build --unembed): the jr dictionary has d_in 16, vocab10.json ten tokens
    wu = rng.standard_normal((16, 10)).astype("<f4")
    ln = {"final_norm": "LayerNorm", "final_norm_weight_offset": "0"}
    g = np.ones(16, dtype="<f4")
    write("unembed_good.safetensors", st_bytes({"W_U": wu, "final_norm.weight": g, "final_norm.bias": g * 0}, ln))
    write("unembed_d_model_8.safetensors", st_bytes({"W_U": wu[:8].copy()}, {"final_norm": "none"}))
    nan = wu.copy(); nan[2, 3] = np.nan
    write("unembed_nan.safetensors", st_bytes({"W_U": nan, "final_norm.weight": g}, ln))
    write("unembed_rank1.safetensors", st_bytes({"W_U": wu.reshape(-1).copy()}, {"final_norm": "none"}))
    write("unembed_norm_shape.safetensors", st_bytes({"W_U": wu, "final_norm.weight": g[:8].copy()}, ln))
    write("unembed_vocab_5.safetensors", st_bytes({"W_U": wu[:, :5].copy()}, {"final_norm": "none"}))
    write("np_feature_logits_length.json", json.dumps({"modelId": "gpt2-small", "layer": "0-res-jb", "index": 7, "activations": [],
                                                       "pos_str": [" a", " b"], "pos_values": [1.0], "neg_str": [], "neg_values": []}))
    write("dashboard_logits_length.json", json.dumps({"model_id": "gpt2-small", "layer": 0, "sae_set": "res-jb", "features": [
        {"feature_index": 2, "activations": [], "neg_str": ["x"], "neg_values": [-1.0, -0.5], "pos_str": [], "pos_values": []}]}))

    # labels import
    write("labels_empty.json", b"")
    write("labels_not_json.json", "saex labels, honest")
    write("labels_newer.json", json.dumps({"format": "saex-labels-export", "version": 99, "labels": []}))
    write("labels_other_format.json", json.dumps({"format": "something-else", "version": 1, "labels": []}))
    write("labels_wrong_type.json", json.dumps({"format": "saex-labels-export", "version": 1, "labels": {"0": "x"}}))
    write("labels_bad_feature.json", json.dumps({"format": "saex-labels-export", "version": 1, "labels": [
        {"fingerprint": "abc", "feature": "seven", "dictionary": "x"}]}))
    folder("labels_is_dir.json")

    # importers (saex explore, run in a pseudo-terminal)
    write("np_feature_wrong_types.json", json.dumps({"modelId": "gpt2-small", "layer": "0-res-jb", "index": 7,
        "activations": [{"tokens": "The cat", "values": [1.0], "maxValue": 1.0}]}))
    write("np_feature_index_list.json", json.dumps({"modelId": "gpt2-small", "layer": "0-res-jb", "index": [7], "activations": []}))
    real = open(os.path.join(ROOT, "Tests/SAEKitTests/Import/Fixtures/neuronpedia/export/gpt2-small/0-res-jb/activations/batch-0.jsonl.gz"), "rb").read()
    write("np_export_truncated/activations/batch-0.jsonl.gz", real[:len(real) // 2])
    write("np_export_not_gzip/activations/batch-0.jsonl.gz", b"this is not gzip\n")
    lines = gzip.decompress(real).decode().splitlines()
    write("np_export_wrong_types/activations/batch-0.jsonl", "\n".join([lines[0], json.dumps(dict(json.loads(lines[0]), tokens=7, values="x"))]) + "\n")

    build_good_cache()


def build_good_cache():
    saex = os.path.join(ROOT, ".build/debug/saex")
    good = os.path.join(OUT, "good.saexcache")
    subprocess.run([saex, "cache", "build", "--dict", "jr=" + JR, "--activations", os.path.join(OUT, "acts_good.safetensors"),
                    "--vocab", os.path.join(OUT, "vocab10.json"), "-o", good, "--top-k", "4", "--random", "2", "--bins", "2", "--per-bin", "1"],
                   check=True)
    for ext in [".analysis"]:
        if os.path.exists(good + ext):
            os.remove(good + ext)
    t, meta = st_read(good)
    b = open(good, "rb").read()
    write("cache_truncated.saexcache", b[:len(b) - 100])
    write("cache_empty.saexcache", b"")
    m = json.loads(meta["saex_cache"])
    newer = dict(meta); newer["saex_cache"] = json.dumps(dict(m, version=99))
    write("cache_newer_version.saexcache", st_bytes(t, newer))
    nj = dict(meta); nj["saex_cache"] = "{not json"
    write("cache_manifest_not_json.saexcache", st_bytes(t, nj))
    tt = dict(t); tt["d0.rows"] = t["d0.rows"].copy(); tt["d0.rows"][0] = 10**6
    write("cache_row_out_of_range.saexcache", st_bytes(tt, meta))
    tt = dict(t); cp = t["d0.col_ptr"].copy(); cp[5], cp[6] = cp[6] + 3, cp[5]
    tt["d0.col_ptr"] = cp
    write("cache_col_ptr_decreasing.saexcache", st_bytes(tt, meta))
    tt = dict(t); del tt["d0.values"]
    write("cache_missing_values.saexcache", st_bytes(tt, meta))
    tt = dict(t); tt["sample.tokens"] = t["sample.tokens"][:5].copy()
    write("cache_short_tokens.saexcache", st_bytes(tt, meta))

    # A cache with logit effects whose table names a token the unembedding does not have.
    logits = os.path.join(OUT, "good_logits.saexcache")
    subprocess.run([saex, "cache", "build", "--dict", "jr=" + JR, "--activations", os.path.join(OUT, "acts_good.safetensors"),
                    "--vocab", os.path.join(OUT, "vocab10.json"), "--unembed", os.path.join(OUT, "unembed_good.safetensors"), "-o", logits,
                    "--top-k", "4", "--random", "2", "--bins", "2", "--per-bin", "1"], check=True)
    t, meta = st_read(logits)
    os.remove(logits)
    os.remove(logits + ".analysis")
    tt = dict(t); tt["d0.logit_pos_ids"] = t["d0.logit_pos_ids"].copy(); tt["d0.logit_pos_ids"][0, 0] = 99
    write("cache_logit_id_out_of_range.saexcache", st_bytes(tt, meta))


if __name__ == "__main__":
    main()
