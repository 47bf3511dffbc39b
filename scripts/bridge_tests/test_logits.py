"""Logit effects end to end on small random decoder LMs (GPT-2: LayerNorm, tied; Llama: RMSNorm; Gemma 2:
RMSNorm with 1 + weight): bridge -> OUT.unembed.safetensors -> saex cache build --unembed -> saex
contexts --format json, against numpy in float64 from the model's own weights (not from the unembed
file saex reads). Also through --feature-acts, --shard parts and a merge, and the byte-level
tokenizer.json decoding of the contexts saex shows."""
import json
import os

import numpy as np
import pytest

from conftest import bridge_ok, load_st, make_model, run_saex

D_SAE = 96
K = 10
# Text with characters the tiny byte-level BPE cannot keep whole: they are split over byte tokens.
EXTRA = ["Hillary\u2019s emails \u2014 and \u201cquotes\u201d \U0001F600 caf\u00e9 na\u00efve \u4e2d\u6587"] * 3


def write_sae(folder, d_in, seed):
    """A SAELens v6 standard (ReLU) dictionary with random weights."""
    from safetensors.numpy import save_file
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    w = {"W_enc": rng.standard_normal((d_in, D_SAE)).astype(np.float32) / np.sqrt(d_in),
         "b_enc": (rng.standard_normal(D_SAE) * 0.1 - 0.2).astype(np.float32),
         "W_dec": rng.standard_normal((D_SAE, d_in)).astype(np.float32) / np.sqrt(d_in),
         "b_dec": (rng.standard_normal(d_in) * 0.05).astype(np.float32)}
    save_file(w, os.path.join(folder, "sae_weights.safetensors"))
    cfg = {"d_in": d_in, "d_sae": D_SAE, "dtype": "float32", "apply_b_dec_to_input": True, "normalize_activations": "none",
           "architecture": "standard", "metadata": {"model_name": "tiny", "hook_name": "blocks.1.hook_resid_post"}}
    with open(os.path.join(folder, "cfg.json"), "w") as f:
        json.dump(cfg, f)
    return w


def numpy_effects(model, kind, w_dec):
    """W_dec rows through the final norm into the LM head, in float64 from the torch model itself."""
    W = model.lm_head.weight.detach().double().numpy().T                      # [d_model, d_vocab]
    norm = model.transformer.ln_f if kind == "gpt2" else model.model.norm
    scale = norm.weight.detach().double().numpy() + (1.0 if kind == "gemma2" else 0.0)
    d = w_dec.astype(np.float64)
    if kind == "gpt2":                                                        # LayerNorm removes the mean first
        d = d - d.mean(axis=1, keepdims=True)
    return (d * scale) @ W


def check_side(got, effects, feature, positive):
    """saex's ids and values against the float64 effects: each value within 2e-5 relative of the
    effect of the id it names, in order, and the set equal to numpy's up to near-ties at the cut."""
    row = effects[feature]
    order = np.argsort(-row if positive else row, kind="stable")
    want = order[:K]
    ids = [e["id"] for e in got]
    vals = np.array([e["value"] for e in got])
    scale = np.abs(row).max()
    assert len(ids) == K
    assert np.all(np.abs(vals - row[ids]) <= 2e-5 * scale), (feature, vals, row[ids])
    assert np.all(np.diff(vals) <= 0 if positive else np.diff(vals) >= 0)
    cut = row[order[K - 1]]
    for i in set(want) ^ set(ids):              # a differing id must sit at the cut, within float32 rounding
        assert abs(row[i] - cut) <= 2e-5 * scale, (feature, i, row[i], cut)
    return float(np.max(np.abs(vals - row[ids])) / scale)


@pytest.fixture(scope="module")
def models(tmp_path_factory, corpus):
    root = tmp_path_factory.mktemp("logit_models")
    lines = list(corpus) + EXTRA
    return {k: make_model(k, str(root / k), lines, d_model=48, n_layer=2, seed=5) for k in ("gpt2", "llama", "gemma2")}


@pytest.fixture(scope="module")
def built(models, corpus, saex, tmp_path_factory):
    out = {}
    for kind, folder in models.items():
        tmp = tmp_path_factory.mktemp("logits_" + kind)
        text = tmp / "text.txt"
        text.write_text("\n".join(list(corpus[:40]) + EXTRA) + "\n", encoding="utf-8")
        acts = str(tmp / "acts.safetensors")
        sae = str(tmp / "sae")
        w = write_sae(sae, 48, seed=11)
        bridge_ok("--model", folder, "--hook-name", "blocks.1.hook_resid_post", "--text", str(text), "--seq-len", "48", "--dtype", "f32",
                  "--encode", f"s={sae}", "-o", acts)
        cache = str(tmp / "c.saexcache")
        common = ["--dict", f"s={sae}", "--vocab", str(tmp / "acts.tokenizer.json"), "--unembed", str(tmp / "acts.unembed.safetensors")]
        run_saex(saex, "cache", "build", *common, "--activations", acts, "-o", cache)
        out[kind] = {"tmp": tmp, "acts": acts, "sae": sae, "w": w, "cache": cache, "common": common, "folder": folder}
    return out


@pytest.mark.parametrize("kind", ["gpt2", "llama", "gemma2"])
def test_logit_effects_equal_numpy(kind, built, saex, figures):
    import transformers as tf
    b = built[kind]
    model = tf.AutoModelForCausalLM.from_pretrained(b["folder"]).eval()
    effects = numpy_effects(model, kind, b["w"]["W_dec"])
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(b["tmp"] / "acts.tokenizer.json"))
    worst = 0.0
    for feat in range(D_SAE):
        got = json.loads(run_saex(saex, "contexts", b["cache"], "--feature", feat, "--format", "json"))   # one dictionary: no --dict
        worst = max(worst, check_side(got["logits_positive"], effects, feat, True),
                    check_side(got["logits_negative"], effects, feat, False))
        for e in got["logits_positive"][:3]:      # tokens shown as the tokenizer decodes them (whole characters)
            text = tok.decode([e["id"]])
            if text and "\ufffd" not in text:
                assert e["token"] == text
    figures[f"logits.{kind}: max |saex - numpy float64| / max |effect| over {D_SAE} features x 2 x {K}"] = f"{worst:.2e}"


def test_feature_acts_shards_and_merge_keep_logits(built, saex, tmp_path):
    b = built["gpt2"]
    feats = b["acts"].replace(".safetensors", ".features.safetensors")
    one = str(tmp_path / "fa.saexcache")
    run_saex(saex, "cache", "build", *b["common"], "--feature-acts", feats, "-o", one)
    parts = [str(b["tmp"] / f"p{i}.saexcache") for i in range(2)]     # beside the single build: the same relative paths
    for i, p in enumerate(parts):
        run_saex(saex, "cache", "build", *b["common"], "--activations", b["acts"], "--shard", f"{i}/2", "-o", p)
    merged = str(b["tmp"] / "m.saexcache")
    run_saex(saex, "cache", "merge", *parts, "-o", merged)
    with open(merged, "rb") as f, open(b["cache"], "rb") as g:
        assert f.read() == g.read()             # the merge is the single build, logit tables included
    ref = load_st(b["cache"])
    fa = load_st(one)
    for name in ("d0.logit_pos_ids", "d0.logit_pos_values", "d0.logit_neg_ids", "d0.logit_neg_values"):
        assert np.array_equal(ref[name], fa[name]), name


def test_contexts_show_byte_level_text_whole(built, saex):
    """The tiny GPT-2's BPE splits ’, — and the emoji into byte tokens: the contexts saex shows,
    joined (continuation marks removed), read as the tokenizer decodes the sequence."""
    b = built["gpt2"]
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(b["tmp"] / "acts.tokenizer.json"))
    t = load_st(b["acts"])["tokens"]
    seen_split = 0
    for feat in range(D_SAE):
        got = json.loads(run_saex(saex, "contexts", b["cache"], "--feature", feat, "--format", "json"))
        for c in got["contexts"]:
            ids = [int(i) for i in t[c["sequence"]] if i >= 0]
            want = tok.decode(ids, skip_special_tokens=False)
            shown = "".join(x.removeprefix("\u21aa") for x in c["tokens"])
            if "\\x" in shown:                   # a character cut off at the end of the sequence
                continue
            assert shown == want
            seen_split += sum(x.startswith("\u21aa") for x in c["tokens"])
        if seen_split > 5:
            break
    assert seen_split > 0, "no character split across tokens was seen; the test text should produce some"


def test_bad_unembed_is_one_line(built, saex, tmp_path):
    import subprocess
    from safetensors.numpy import save_file
    b = built["gpt2"]
    u = load_st(str(b["tmp"] / "acts.unembed.safetensors"))
    bad = str(tmp_path / "bad.unembed.safetensors")
    save_file({"W_U": u["W_U"][:40].copy(), "final_norm.weight": u["final_norm.weight"][:40].copy()}, bad, {"final_norm": "RMSNorm"})
    r = subprocess.run([saex, "cache", "build", "--dict", f"s={b['sae']}", "--activations", b["acts"], "--vocab",
                        str(b["tmp"] / "acts.tokenizer.json"), "--unembed", bad, "-o", str(tmp_path / "x.saexcache")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "d_model = 40" in r.stderr and "d_in = 48" in r.stderr
    assert not os.path.exists(tmp_path / "x.saexcache")
