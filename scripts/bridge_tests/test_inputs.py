"""--sae (SAELens v6 and v5 configs), --tokens (pre-tokenised input) and --text windowing."""
import json
import os

import numpy as np
import pytest
import torch

from conftest import LOADERS, bridge, bridge_ok, load_st, random_tokens


def write_cfg(folder, cfg):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "cfg.json"), "w") as f:
        json.dump(cfg, f)
    return folder


def v6(folder, model, hook, ctx=12, bos=True, head=None):
    return write_cfg(folder, {"architecture": "standard", "d_in": 32, "d_sae": 64, "dtype": "float32",
                              "metadata": {"model_name": model, "hook_name": hook, "hook_head_index": head, "context_size": ctx,
                                           "prepend_bos": bos, "sae_lens_version": "6.18.0"}})


def v5(folder, model, hook, ctx=12, bos=True):
    return write_cfg(folder, {"architecture": "standard", "d_in": 32, "d_sae": 64, "model_name": model, "hook_name": hook,
                              "hook_layer": 1, "hook_head_index": None, "activation_fn_str": "relu", "context_size": ctx,
                              "prepend_bos": bos, "sae_lens_training_version": "5.11.0"})


@pytest.fixture(scope="module")
def text(tmp_path_factory, corpus):
    p = tmp_path_factory.mktemp("text") / "corpus.txt"
    p.write_text("\n".join(corpus[:40]) + "\n\n   \n" + "\n".join(corpus[40:60]) + "\n", encoding="utf-8")
    return str(p)


def test_reads_what_saelens_configs_say():
    from saex_bridge import saecfg
    t = saecfg.read(os.path.join(LOADERS, "saelens_topk"))
    assert (t.model_name, t.hook_name, t.hook_head_index, t.context_size, t.prepend_bos) == \
        ("tiny-test-model", "blocks.3.hook_resid_post", None, 128, True)
    t = saecfg.read(os.path.join(LOADERS, "saelens_v5_topk"))
    assert (t.hook_name, t.context_size, t.prepend_bos) == ("blocks.3.hook_resid_post", 128, True)
    t = saecfg.read(os.path.join(LOADERS, "saelens_legacy_hook_point_relu"))
    assert (t.hook_name, t.hook_head_index, t.context_size) == ("blocks.3.hook_resid_pre", None, 128)


def test_sae_v6_and_v5_dump_what_the_sae_was_trained_on(tiny_models, text, tmp_path):
    g = tiny_models["gpt2"]
    out = {}
    for kind, make in (("v6", v6), ("v5", v5)):
        sae = make(str(tmp_path / kind), g, "blocks.1.hook_resid_post", ctx=12, bos=True)
        o = str(tmp_path / f"{kind}.safetensors")
        bridge_ok("--sae", sae, "--text", text, "--dtype", "f32", "-o", o)      # no --model: the config names it
        out[kind] = load_st(o)
    manual = str(tmp_path / "manual.safetensors")
    bridge_ok("--model", g, "--hook-name", "blocks.1.hook_resid_post", "--seq-len", "12", "--prepend-bos", "yes",
              "--text", text, "--dtype", "f32", "-o", manual)
    manual = load_st(manual)
    from transformers import AutoTokenizer
    eot = AutoTokenizer.from_pretrained(g).bos_token_id
    for kind, d in out.items():
        assert d["tokens"].shape[1] == 12, kind
        assert np.all(d["tokens"][:, 0] == eot), kind                   # prepend_bos: GPT-2 gets <|endoftext|>
        assert np.array_equal(d["tokens"], manual["tokens"]) and np.array_equal(d["activations"], manual["activations"])


def test_prepend_bos_false_and_the_tokenizers_own_bos(tiny_models, text, tmp_path):
    lm = tiny_models["llama"]
    from transformers import AutoTokenizer
    bos = AutoTokenizer.from_pretrained(lm).bos_token_id
    o1, o2 = str(tmp_path / "with.safetensors"), str(tmp_path / "without.safetensors")
    bridge_ok("--model", lm, "--hook-name", "blocks.0.hook_resid_post", "--seq-len", "10", "--text", text, "-o", o1)
    bridge_ok("--sae", v6(str(tmp_path / "s"), lm, "blocks.0.hook_resid_post", ctx=10, bos=False), "--text", text, "-o", o2)
    w, wo = load_st(o1)["tokens"], load_st(o2)["tokens"]
    assert np.all(w[:, 0] == bos) and not np.any(wo == bos)
    # Same text, chunked 9 + BOS versus 10: the concatenated real ids are the same stream.
    assert np.array_equal(w[w >= 0][w[w >= 0] != bos], wo[wo >= 0])


def test_saes_that_disagree_are_refused(tiny_models, text, tmp_path):
    g, lm = tiny_models["gpt2"], tiny_models["llama"]
    a = v6(str(tmp_path / "a"), g, "blocks.1.hook_resid_post")
    b = v5(str(tmp_path / "b"), g, "blocks.2.hook_resid_post")
    c = v6(str(tmp_path / "c"), lm, "blocks.1.hook_resid_post")
    for other, key in ((b, "hook_name"), (c, "model_name")):
        r = bridge("--sae", a, "--sae", other, "--text", text, "-o", str(tmp_path / "x.safetensors"))
        assert r.code == 2 and len(r.lines) == 1 and key in r.err and a in r.err and other in r.err, r.err
    r = bridge("--sae", a, "--hook-name", "blocks.2.hook_resid_post", "--text", text, "-o", str(tmp_path / "x.safetensors"))
    assert r.code == 2 and "disagrees" in r.err
    assert not any(p.name.startswith("x") for p in tmp_path.iterdir())
    ok = v6(str(tmp_path / "d"), g, "blocks.1.hook_resid_post", ctx=12)
    bridge_ok("--sae", a, "--sae", ok, "--text", text, "-o", str(tmp_path / "y.safetensors"))


@pytest.mark.parametrize("kind", ["gpt2", "llama", "bert"])
def test_tokens_rows_equal_running_each_sequence_alone(kind, tiny_models, tmp_path):
    """Padding (-1) anywhere in a row is masked out: every row gives what its real tokens give alone."""
    import transformers as tf
    folder = tiny_models[kind]
    vocab = tf.AutoConfig.from_pretrained(folder).vocab_size
    t = random_tokens(vocab, sequences=6, length=14, seed=11)
    t[1, :3] = -1                           # leading padding
    t[2, 5:8] = -1                          # padding inside the row
    t[4, :] = -1                            # nothing at all
    t[5, :] = random_tokens(vocab, 1, 14, 12, pad_tail=False)[0]
    p = str(tmp_path / "t.npy")
    np.save(p, t.astype(np.int32))
    o = str(tmp_path / "o.safetensors")
    bridge_ok("--model", folder, "--tokens", p, "--hook-name", "blocks.2.hook_resid_pre", "--dtype", "f32", "--batch-size", "4", "-o", o)
    d = load_st(o)
    assert d["tokens"].dtype == np.int32 and np.array_equal(d["tokens"], t)
    assert np.all(d["activations"][t < 0] == 0)
    model = (tf.BertModel if kind == "bert" else tf.AutoModelForCausalLM).from_pretrained(folder).eval()
    worst = 0.0
    for s in range(len(t)):
        real = t[s] >= 0
        if not real.any():
            continue
        with torch.no_grad():
            h = model(input_ids=torch.from_numpy(t[s][real][None].astype(np.int64)), output_hidden_states=True).hidden_states[2][0]
        worst = max(worst, float(np.abs(d["activations"][s][real] - h.numpy()).max()))
    assert worst < 1e-5, worst


def test_tokens_safetensors_and_max_tokens(tiny_models, tmp_path):
    from safetensors.numpy import save_file
    folder = tiny_models["gpt2"]
    t = random_tokens(300, sequences=8, length=10, seed=2, pad_tail=False)
    p = str(tmp_path / "t.safetensors")
    save_file({"tokens": t.astype(np.int64)}, p)
    o = str(tmp_path / "o.safetensors")
    bridge_ok("--model", folder, "--tokens", p, "--hook-name", "blocks.0.hook_mlp_out", "--max-tokens", "35", "-o", o)
    d = load_st(o)
    assert np.array_equal(d["tokens"], t[:3].astype(np.int32))           # whole sequences, at most 35 tokens
    assert d["activations"].dtype == np.float16


@pytest.mark.parametrize("mutate,words", [
    (lambda t, v: t.__setitem__((2, 3), v), "id {v} at sequence 2, position 3 is outside"),
    (lambda t, v: t.__setitem__((0, 0), -2), "id -2 at sequence 0, position 0"),
])
def test_bad_token_ids_are_refused(tiny_models, tmp_path, mutate, words):
    import transformers as tf
    folder = tiny_models["gpt2"]
    v = tf.AutoConfig.from_pretrained(folder).vocab_size
    t = random_tokens(v, 4, 8, 3)
    mutate(t, v)
    p = str(tmp_path / "t.npy")
    np.save(p, t)
    r = bridge("--model", folder, "--tokens", p, "--hook-name", "blocks.0.hook_resid_pre", "-o", str(tmp_path / "o.safetensors"))
    assert r.code == 2 and len(r.lines) == 1 and words.format(v=v) in r.err, r.err
    assert not (tmp_path / "o.safetensors").exists() and not (tmp_path / "o.tokenizer.json").exists()


def test_bad_token_files_are_refused(tiny_models, tmp_path):
    folder = tiny_models["gpt2"]
    cases = {"f.npy": (np.zeros((2, 3), np.float32), "dtype float32"), "d3.npy": (np.zeros((2, 3, 1), np.int32), "shape [2, 3, 1]"),
             "e.npy": (np.zeros((2, 0), np.int32), "shape [2, 0]")}
    for name, (arr, words) in cases.items():
        np.save(tmp_path / name, arr)
        r = bridge("--model", folder, "--tokens", str(tmp_path / name), "--hook-name", "blocks.0.hook_resid_pre",
                   "-o", str(tmp_path / "o.safetensors"))
        assert r.code == 2 and len(r.lines) == 1 and words in r.err, r.err
    (tmp_path / "junk.npy").write_bytes(b"\x93NUMPY garbage")
    r = bridge("--model", folder, "--tokens", str(tmp_path / "junk.npy"), "--hook-name", "blocks.0.hook_resid_pre",
               "-o", str(tmp_path / "o.safetensors"))
    assert r.code == 2 and len(r.lines) == 1 and "cannot be read" in r.err, r.err


def test_text_windows_carry_the_special_tokens(minilm_dir, tmp_path):
    long = " ".join(f"word{i}" for i in range(200))
    p = tmp_path / "t.txt"
    p.write_text(f"short line\n\n{long}\n", encoding="utf-8")
    o = str(tmp_path / "o.safetensors")
    bridge_ok("--model", minilm_dir, "--text", str(p), "--hook-name", "blocks.0.hook_resid_pre", "--seq-len", "16", "-o", o)
    t = load_st(o)["tokens"]
    assert len(t) > 3
    for row in t:
        n = int((row >= 0).sum())
        assert row[0] == 101 and row[n - 1] == 102 and 3 <= n <= 16
