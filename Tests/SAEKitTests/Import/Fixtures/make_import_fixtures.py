#!/usr/bin/env python3
"""Writes the importer fixtures: Neuronpedia feature JSON, a Neuronpedia bulk export (gzip'd and
plain JSONL), an SAEDashboard batch JSON and a delphi latent cache (safetensors written with numpy
and a hand-rolled header). Golden values the tests check are computed here with numpy into
delphi/expected.json. Run from this folder: python3 make_import_fixtures.py"""
import gzip, json, os, struct
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def write(rel, text):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def write_gz(rel, text):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        # mtime=0 keeps the bytes stable from run to run.
        f.write(gzip.compress(text.encode(), compresslevel=5, mtime=0))


# --- Neuronpedia /api/feature responses (index as a string, as the API sends it) ---
feature7 = {
    "modelId": "gpt2-small", "layer": "0-res-jb", "index": "7", "maxActApprox": 4.5, "frac_nonzero": 0.0125,
    "freq_hist_data_bar_heights": [3, 1], "freq_hist_data_bar_values": [0.5, 4.0],
    "activations": [
        # listed lowest first on purpose: the importer must sort top examples by value
        {"tokens": ["A", " dog", " ran"], "values": [2.0, 0.5, 0.0], "maxValue": 2.0, "maxValueTokenIndex": 0, "minValue": 0.0,
         "binMin": -1, "binMax": 4.5, "binContains": -1, "dataIndex": None},
        {"tokens": ["The", " cat", " sat"], "values": [0.0, 4.5, 1.0], "maxValue": 4.5, "maxValueTokenIndex": 1, "minValue": 0.0,
         "binMin": -1, "binMax": 4.5, "binContains": -1, "dataIndex": "1234"},
        {"tokens": ["x", "y"], "values": [0.2, 0.9], "maxValue": 0.9, "minValue": 0.2,
         "binMin": 0.0, "binMax": 0.9, "binContains": 0.25},
    ],
    "explanations": [{"id": "e1", "description": "cats and dogs", "typeName": "oai_token-act-pair"}],
}
feature8 = {"modelId": "gpt2-small", "layer": "0-res-jb", "index": 8, "maxActApprox": 0, "frac_nonzero": 0,
            "activations": [], "explanations": []}
write("neuronpedia/features/7.json", json.dumps(feature7))
write("neuronpedia/features/8.json", json.dumps(feature8))

# --- Neuronpedia bulk export: <model>/<source>/{features,activations,explanations}/batch-N.jsonl(.gz) ---
src = "neuronpedia/export/gpt2-small/0-res-jb"
feats = [  # ORDER BY index on the text column: "0", "1", "10", "2"
    {"modelId": "gpt2-small", "layer": "0-res-jb", "index": "0", "maxActApprox": 3.0, "frac_nonzero": 0.5},
    {"modelId": "gpt2-small", "layer": "0-res-jb", "index": "1", "maxActApprox": 0.0, "frac_nonzero": 0.0},
    {"modelId": "gpt2-small", "layer": "0-res-jb", "index": "10", "maxActApprox": 7.0, "frac_nonzero": 0.01},
    {"modelId": "gpt2-small", "layer": "0-res-jb", "index": "2", "maxActApprox": 1.0, "frac_nonzero": 0.25},
]
write_gz(src + "/features/batch-0.jsonl.gz", "".join(json.dumps(r) + "\n" for r in feats))


def act(index, tokens, values, peak, bmin=None, bmax=None, bc=None):
    return {"id": "a%s_%d" % (index, peak), "modelId": "gpt2-small", "layer": "0-res-jb", "index": index, "creatorId": "x",
            "dataSource": None, "tokens": tokens, "maxValue": max(values), "minValue": min(values), "values": values,
            "maxValueTokenIndex": peak, "dfaValues": [], "dfaMaxValue": None, "dfaTargetIndex": None,
            "binContains": bc, "binMin": bmin, "binMax": bmax}


acts0 = [
    act("0", ["a", "b", "c"], [0.0, 1.0, 3.0], 2),
    act("2", ["p", "q"], [1.0, 0.0], 0),
    act("0", ["d", "e"], [2.0, 0.5], 0),
    act("0", ["f", "g"], [0.1, 0.4], 1, 0.0, 0.6, 0.5),
]
acts1 = [act("10", ["m", "n", "o"], [0.0, 0.0, 7.0], 2)]
write_gz(src + "/activations/batch-0.jsonl.gz", "".join(json.dumps(r) + "\n" for r in acts0))
write_gz(src + "/activations/batch-1.jsonl.gz", "".join(json.dumps(r) + "\n" for r in acts1))
exps = [{"id": "x1", "modelId": "gpt2-small", "layer": "0-res-jb", "index": "0", "authorId": "x", "description": "letters", "typeName": "t"},
        {"id": "x2", "modelId": "gpt2-small", "layer": "0-res-jb", "index": "10", "authorId": "x", "description": "the letter o", "typeName": "t"}]
write(src + "/explanations/batch-0.jsonl", "".join(json.dumps(r) + "\n" for r in exps))

# --- SAEDashboard Neuronpedia batch JSON ---
dash = {"model_id": "gpt2-small", "layer": 3, "sae_set": "res-jb", "sae_id_suffix": None, "features": [
    {"feature_index": 0, "frac_nonzero": 0.002, "freq_hist_data_bar_values": [], "freq_hist_data_bar_heights": [], "n_prompts_total": 10,
     "n_tokens_in_prompt": 4, "dataset": "x", "activations": [
        {"bin_min": -1, "bin_max": 3.0, "bin_contains": -1, "tokens": ["<|endoftext|>", "Hello", " world"], "values": [0.0, 3.0, 1.0],
         "qualifying_token_index": 1},
        {"bin_min": 0.0, "bin_max": 1.5, "bin_contains": 0.004, "tokens": ["foo", "bar"], "values": [1.2, 0.0], "qualifying_token_index": 0},
        {"bin_min": 1.5, "bin_max": 3.0, "bin_contains": 0.001, "tokens": ["baz"], "values": [2.5], "qualifying_token_index": 0}]},
    {"feature_index": 5, "frac_nonzero": 0.0, "activations": []}]}
write("saedashboard/batch-0.json", json.dumps(dash))

# --- delphi latent cache: latents/<hookpoint>/<start>_<end>.safetensors ---
def safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, (dtype, arr) in tensors.items():
        b = np.ascontiguousarray(arr).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


n_seqs, ctx = 3, 6
tokens = (np.arange(n_seqs * ctx, dtype=np.int64) + 100).reshape(n_seqs, ctx)
entries = {  # global latent -> [(row, position, value)]
    0: [(0, 0, 1.5)],
    2: [(0, 1, 1.0), (0, 2, 3.0), (1, 4, 3.0), (2, 0, 0.5), (2, 5, 2.0)],
    5: [(1, 0, 0.25)],
}
splits = [(0, 3, "U16", np.uint16), (4, 7, "U32", np.uint32)]
hook = os.path.join(HERE, "delphi/latents/layers.0")
for start, end, dname, dt in splits:
    rows = sorted((r, p, l, v) for l, es in entries.items() if start <= l <= end for (r, p, v) in es)
    loc = np.array([[r, p, l - start] for r, p, l, v in rows], dtype=dt).reshape(-1, 3)
    acts = np.array([v for r, p, l, v in rows], dtype=np.float16)
    safetensors(os.path.join(hook, "%d_%d.safetensors" % (start, end)), {"locations": (dname, loc), "activations": ("F16", acts), "tokens": ("I64", tokens)})
write("delphi/latents/layers.0/config.json", json.dumps({"cache_ctx_len": ctx, "n_splits": 2, "model_name": "tiny"}))
write("delphi/vocab.json", json.dumps(["t%d" % i for i in range(120)]))

expected = {}
for l, es in entries.items():
    vals = np.array([v for _, _, v in es], dtype=np.float64)
    order = sorted(es, key=lambda e: (-e[2], e[0], e[1]))
    mx = vals.max()
    bins = np.clip(np.ceil(vals / mx * 10).astype(int) - 1, 0, 9)
    expected[str(l)] = {
        "density": len(es) / (n_seqs * ctx),
        "mean": float(vals.sum() / (n_seqs * ctx)),
        "max": float(mx),
        "top": [[r, p, v] for r, p, v in order],
        "top_token": ["t%d" % tokens[r, p] for r, p, _ in order],
        "contains": {str(b): float((bins == b).mean()) for b in sorted(set(bins.tolist()))},
    }
write("delphi/expected.json", json.dumps(expected, indent=1, sort_keys=True))
