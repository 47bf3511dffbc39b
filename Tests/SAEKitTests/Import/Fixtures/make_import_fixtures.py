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
    # Neuronpedia's logit tables: decoded text (not byte-level), most positive / most negative first
    "pos_str": [" cat", " dogs", "café"], "pos_values": [0.9, 0.7, 0.5], "neg_str": [" the"], "neg_values": [-0.2],
}
feature8 = {"modelId": "gpt2-small", "layer": "0-res-jb", "index": 8, "maxActApprox": 0, "frac_nonzero": 0,
            "activations": [], "explanations": []}
write("neuronpedia/features/7.json", json.dumps(feature7))
write("neuronpedia/features/8.json", json.dumps(feature8))

# --- Neuronpedia bulk export: <model>/<source>/{features,activations,explanations}/batch-N.jsonl(.gz) ---
src = "neuronpedia/export/gpt2-small/0-res-jb"
feats = [  # ORDER BY index on the text column: "0", "1", "10", "2"
    {"modelId": "gpt2-small", "layer": "0-res-jb", "index": "0", "maxActApprox": 3.0, "frac_nonzero": 0.5,
     "pos_str": ["x", "y"], "pos_values": [1.0, 2.0], "neg_str": [], "neg_values": []},  # not sorted: saex sorts
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

# --- SAEDashboard batch of a GPT-2 SAE, as its NeuronpediaRunner writes it (gpt2-small, layer 0, res-jb) ---
# Token strings are the tokenizer's own (GPT-2's byte-to-unicode alphabet), after the substitutions
# SAEDashboard's runner makes in its vocabulary (get_vocab_dict: "Ġ" -> " ", "Ċ" -> "\n", "ĉ" -> "\t" and a
# few whole three-byte punctuation marks such as "âĢĶ" -> "—"); everything else stays in the alphabet, so a
# character split across tokens arrives as pieces like "âĢ" + "Ļ" (the two GPT-2 tokens of ’).
def byte_alphabet():
    """GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest map to U+0100 on."""
    keep = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    table, n = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + n)
            n += 1
    return table


ALPHABET = byte_alphabet()
DASHBOARD_SUBSTITUTIONS = [("âĢĶ", "—"), ("âĢĵ", "–"), ("âĢľ", "“"), ("âĢĿ", "”"), ("âĢĺ", "‘"), ("âĢĻ", "’"), ("âĢĭ", " "),
                           ("Ġ", " "), ("Ċ", "\n"), ("ĉ", "\t")]


def dashboard_token(raw: bytes) -> str:
    """A token's bytes as the GPT-2 vocabulary writes them, then as SAEDashboard's vocabulary shows them."""
    s = "".join(ALPHABET[b] for b in raw)
    for a, b in DASHBOARD_SUBSTITUTIONS:
        s = s.replace(a, b)
    return s


# Each row: the tokens' bytes, the feature's values, and the display saex must give (written by hand:
# a character on the token it starts in, "↪" on tokens continuing it, bytes that are no character as \xNN).
GPT2_ROWS = [
    ([b" Hillary", b"\xe2\x80", b"\x99", b"s", b" emails"], [0.0, 6.25, 1.5, 0.0, 0.5],
     [" Hillary", "’", "↪", "s", " emails"]),
    ([b" I", b" love", b" it", b" \xf0\x9f", b"\x98", b"\x80", b"!"], [0.0, 0.0, 0.25, 5.5, 2.0, 1.0, 0.0],
     [" I", " love", " it", " 😀", "↪", "↪", "!"]),
    ([b" the", b" quote", b" \xe2\x80"], [0.0, 0.5, 4.75],
     [" the", " quote", " \\xe2\\x80"]),
    ([b"\x99", b"s", b" fault", b" caf", b"\xc3\xa9"], [0.75, 0.0, 0.0, 1.25, 2.5],
     ["\\x99", "s", " fault", " caf", "é"]),
    ([b"\n", b"The", b" end", b" \xe2\x80\x94", b" really"], [0.0, 0.0, 0.0, 1.0, 0.25],
     ["\n", "The", " end", " —", " really"]),
]
for raw, values, shown in GPT2_ROWS:
    # The hand-written display reads as Python's UTF-8 decoder reads the row (marks and escapes aside).
    joined = "".join(t.replace("↪", "") for t in shown)
    assert joined.replace("\\xe2\\x80", "").replace("\\x99", "") == b"".join(raw).decode("utf-8", "ignore"), shown

LOGITS_POS = [(b" Brig", 3.753), (b"\xe2\x80", 3.063), (b" \xf0\x9f\x98\x80", 2.409), (b"\xc3\xa9", 2.271), (b"\xe2\x80\x99", 1.672)]
LOGITS_NEG = [(b"sequence", -0.707), (b" \xe2\x80", -0.674), (b"\x99", -0.67)]
LOGITS_POS_SHOWN = [" Brig", "\\xe2\\x80", " 😀", "é", "’"]
LOGITS_NEG_SHOWN = ["sequence", " \\xe2\\x80", "\\x99"]


def dash_activation(raw, values, bin_min, bin_max, bin_contains):
    return {"bin_min": bin_min, "bin_max": bin_max, "bin_contains": bin_contains, "tokens": [dashboard_token(t) for t in raw],
            "values": [round(v, 3) for v in values], "qualifying_token_index": int(np.argmax(values)) + 1,
            "dfa_values": [], "dfa_maxValue": 0, "dfa_targetIndex": -1}


def dash_feature(index, frac, activations, pos, neg):
    return {"feature_index": index, "neuron_alignment_indices": [217, 266, 87], "neuron_alignment_values": [0.112, 0.109, 0.107],
            "neuron_alignment_l1": [0.005, 0.005, 0.005], "correlated_neurons_indices": [14, 225, 61],
            "correlated_neurons_l1": [0.01, 0.009, 0.009], "correlated_neurons_pearson": [0.009, 0.009, 0.009],
            "correlated_features_indices": [index, 1], "correlated_features_l1": [0.0, 0.0], "correlated_features_pearson": [0.0, 0.0],
            "neg_str": [dashboard_token(t) for t, _ in neg], "neg_values": [v for _, v in neg],
            "pos_str": [dashboard_token(t) for t, _ in pos], "pos_values": [v for _, v in pos], "frac_nonzero": frac,
            "freq_hist_data_bar_values": [0.023, 0.067, 0.111], "freq_hist_data_bar_heights": [12, 4, 1],
            "logits_hist_data_bar_heights": [3, 40, 5], "logits_hist_data_bar_values": [-0.6, 0.0, 0.6],
            "n_prompts_total": 5000, "n_tokens_in_prompt": 128, "dataset": "Skylion007/openwebtext", "decoder_weights_dist": [],
            "activations": activations}


gpt2_batch = {"model_id": "gpt2-small", "layer": 0, "sae_set": "res-jb", "features": [
    dash_feature(0, 0.0002, [dash_activation(r, v, -1, 6.25, -1) for r, v, _ in GPT2_ROWS[:3]]
                 + [dash_activation(r, v, 0.0, 3.125, 0.004) for r, v, _ in GPT2_ROWS[3:]], LOGITS_POS, LOGITS_NEG),
    dash_feature(3, 0.0, [], [], []),
]}
write("saedashboard-gpt2/batch-0.json", json.dumps(gpt2_batch, indent=4, ensure_ascii=True))
write("saedashboard-gpt2/expected.json", json.dumps({
    "top": [GPT2_ROWS[i][2] for i in (0, 1, 2)], "intervals": [GPT2_ROWS[3][2], GPT2_ROWS[4][2]],
    "top_tokens": ["’", " 😀", " \\xe2\\x80"], "logits_positive": LOGITS_POS_SHOWN, "logits_negative": LOGITS_NEG_SHOWN,
    "logits_positive_values": [v for _, v in LOGITS_POS], "logits_negative_values": [v for _, v in LOGITS_NEG]},
    indent=1, ensure_ascii=False))

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
