"""Every TransformerLens hook name the bridge maps, on small random GPT-2, Llama, Gemma 2 and BERT models.

Each hook is checked three ways where possible: against output_hidden_states, against a forward hook
on the module this test names itself (its own table, written from TransformerLens's block code, not
imported from the bridge), and against identities of the block (resid_mid = resid_pre + attn_out,
...), which need no table at all."""
import os

import numpy as np
import pytest
import torch

from conftest import bridge, bridge_ok, load_st, random_tokens

L = 1          # the layer every per-block hook is read at (the models have 3)


def _gated_mlp_decoder(embed, attn_out, mlp_in, mlp_out):
    """Llama and Gemma 2 (TransformerLens's TransformerBlock with a gated MLP over model.layers.N), which
    differ in where hook_embed is read and in the modules of layer 1 named by the last three arguments."""
    layer = "model.layers.1"
    return {
        "hook_embed": embed,
        "blocks.1.hook_resid_pre": (layer, "in"), "blocks.1.attn.hook_z": (f"{layer}.self_attn.o_proj", "in"),
        "blocks.1.hook_attn_out": (f"{layer}.{attn_out}", "out"),
        "blocks.1.hook_resid_mid": (f"{layer}.{mlp_in}", "in"), "blocks.1.hook_mlp_in": (f"{layer}.{mlp_in}", "in"),
        "blocks.1.mlp.hook_pre": (f"{layer}.mlp.gate_proj", "out"), "blocks.1.mlp.hook_pre_linear": (f"{layer}.mlp.up_proj", "out"),
        "blocks.1.mlp.hook_post": (f"{layer}.mlp.down_proj", "in"), "blocks.1.hook_mlp_out": (f"{layer}.{mlp_out}", "out"),
        "blocks.1.hook_resid_post": (layer, "out"), "blocks.2.hook_resid_pre": ("model.layers.2", "in"),
    }


# arch -> name -> (full module path, "in"|"out"); written from TransformerLens's TransformerBlock/BertBlock.
EXPECTED = {
    "gpt2": {
        "hook_embed": ("transformer.wte", "out"), "hook_pos_embed": ("transformer.wpe", "out"),
        "blocks.1.hook_resid_pre": ("transformer.h.1", "in"), "blocks.1.ln1.hook_normalized": ("transformer.h.1.ln_1", "out"),
        "blocks.1.attn.hook_z": ("transformer.h.1.attn.c_proj", "in"), "blocks.1.hook_attn_out": ("transformer.h.1.attn", "out"),
        "blocks.1.hook_resid_mid": ("transformer.h.1.ln_2", "in"), "blocks.1.hook_mlp_in": ("transformer.h.1.ln_2", "in"),
        "blocks.1.ln2.hook_normalized": ("transformer.h.1.ln_2", "out"), "blocks.1.mlp.hook_pre": ("transformer.h.1.mlp.c_fc", "out"),
        "blocks.1.mlp.hook_post": ("transformer.h.1.mlp.c_proj", "in"), "blocks.1.hook_mlp_out": ("transformer.h.1.mlp", "out"),
        "blocks.1.hook_resid_post": ("transformer.h.1", "out"), "blocks.2.hook_resid_pre": ("transformer.h.2", "in"),
        "blocks.2.hook_resid_post": ("transformer.h.2", "out"), "ln_final.hook_normalized": ("transformer.ln_f", "out"),
    },
    "llama": _gated_mlp_decoder(("model.embed_tokens", "out"), attn_out="self_attn", mlp_in="post_attention_layernorm", mlp_out="mlp"),
    "gemma2": _gated_mlp_decoder(("model.layers.0", "in"), attn_out="post_attention_layernorm", mlp_in="pre_feedforward_layernorm",
                                 mlp_out="post_feedforward_layernorm"),
    "bert": {
        "blocks.1.hook_resid_pre": ("encoder.layer.1", "in"),
        "blocks.1.attn.hook_z": ("encoder.layer.1.attention.output.dense", "in"),
        "blocks.1.hook_attn_out": ("encoder.layer.1.attention.output.dense", "out"),
        "blocks.1.hook_resid_mid": ("encoder.layer.1.attention.output.LayerNorm", "in"),
        "blocks.1.hook_mlp_in": ("encoder.layer.1.attention.output.LayerNorm", "in"),
        "blocks.1.ln1.hook_normalized": ("encoder.layer.1.attention.output.LayerNorm", "out"),
        "blocks.1.mlp.hook_pre": ("encoder.layer.1.intermediate.dense", "out"),
        "blocks.1.mlp.hook_post": ("encoder.layer.1.output.dense", "in"),
        "blocks.1.hook_mlp_out": ("encoder.layer.1.output.dense", "out"),
        "blocks.1.hook_resid_post": ("encoder.layer.1.output.LayerNorm", "in"),
        "blocks.1.ln2.hook_normalized": ("encoder.layer.1.output.LayerNorm", "out"),
        "blocks.1.hook_normalized_resid_post": ("encoder.layer.1.output.LayerNorm", "out"),
        "blocks.2.hook_resid_pre": ("encoder.layer.2", "in"),
    },
}


def _load(kind, folder):
    import transformers as tf
    cls = tf.BertModel if kind == "bert" else tf.AutoModelForCausalLM
    return cls.from_pretrained(folder).eval()


def _first_tensor(v):
    if isinstance(v, torch.Tensor):
        return v
    return v[0] if isinstance(v, (tuple, list)) else None


def reference(kind, folder, tokens):
    """One plain forward pass with forward hooks on every module of EXPECTED[kind] and output_hidden_states."""
    model = _load(kind, folder)
    mods = dict(model.named_modules())
    got, handles = {}, []
    for name, (path, where) in EXPECTED[kind].items():
        if where == "in":
            handles.append(mods[path].register_forward_pre_hook(
                lambda m, a, kw, name=name: got.__setitem__(name, _first_tensor(a) if a else kw["hidden_states"]), with_kwargs=True))
        else:
            handles.append(mods[path].register_forward_hook(lambda m, a, o, name=name: got.__setitem__(name, _first_tensor(o))))
    t = torch.from_numpy(tokens)
    mask = (t >= 0).long()
    ids = torch.where(t >= 0, t, torch.zeros_like(t))
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    for h in handles:
        h.remove()
    got = {k: np.broadcast_to(v.float().numpy(), tokens.shape + v.shape[-1:]) for k, v in got.items()}
    return got, [h.float().numpy() for h in out.hidden_states], model


@pytest.fixture(scope="module", params=["gpt2", "llama", "gemma2", "bert"])
def arch(request, tiny_models, tmp_path_factory):
    kind = request.param
    folder = tiny_models[kind]
    from transformers import AutoConfig
    vocab = AutoConfig.from_pretrained(folder).vocab_size
    tokens = random_tokens(vocab, sequences=5, length=20, seed=7)
    tmp = tmp_path_factory.mktemp(f"hooks-{kind}")
    tok_path = str(tmp / "tokens.npy")
    np.save(tok_path, tokens)
    ref, hidden, model = reference(kind, folder, tokens)
    cache = {}

    def dump(name, *extra):
        key = (name,) + extra
        if key not in cache:
            out = str(tmp / f"{len(cache)}.safetensors")
            bridge_ok("--model", folder, "--tokens", tok_path, "--hook-name", name, "--dtype", "f32", "-o", out, *extra)
            d = load_st(out)
            assert np.array_equal(d["tokens"], tokens.astype(np.int32)), "token ids must be written unchanged"
            assert np.all(d["activations"][tokens < 0] == 0), "padding rows must be zero"
            cache[key] = d["activations"]
        return cache[key]

    return {"kind": kind, "folder": folder, "tokens": tokens, "ref": ref, "hidden": hidden, "dump": dump, "model": model}


def maxdiff(a, b, tokens):
    real = tokens >= 0
    return float(np.abs(a[real] - b[real]).max())


TOL = 2e-5


def test_resid_pre_equals_output_hidden_states(arch, figures):
    for layer in range(3):
        got = arch["dump"](f"blocks.{layer}.hook_resid_pre")
        d = maxdiff(got, arch["hidden"][layer], arch["tokens"])
        figures[f"hooks.{arch['kind']}.blocks.{layer}.hook_resid_pre vs hidden_states[{layer}] max abs diff"] = d
        assert d < TOL


def test_every_hook_equals_its_module(arch, figures):
    for name in EXPECTED[arch["kind"]]:
        got = arch["dump"](name)
        d = maxdiff(got, arch["ref"][name], arch["tokens"])
        figures[f"hooks.{arch['kind']}.{name} vs forward hook max abs diff"] = d
        assert d < TOL, name


def test_block_identities(arch, figures):
    """Relations TransformerLens's block code implies, independent of any module table."""
    k, dump, tok = arch["kind"], arch["dump"], arch["tokens"]
    pre, attn, mid, mlp, post = (dump(f"blocks.1.{h}") for h in ("hook_resid_pre", "hook_attn_out", "hook_resid_mid", "hook_mlp_out",
                                                                  "hook_resid_post"))
    checks = {"resid_mid = resid_pre + attn_out": maxdiff(mid, pre + attn, tok)}
    gelu = torch.nn.functional.gelu
    if k == "bert":
        checks["resid_post = ln1.hook_normalized + mlp_out"] = maxdiff(post, dump("blocks.1.ln1.hook_normalized") + mlp, tok)
        checks["hook_normalized_resid_post(1) = resid_pre(2)"] = maxdiff(dump("blocks.1.hook_normalized_resid_post"),
                                                                          dump("blocks.2.hook_resid_pre"), tok)
        checks["mlp.hook_post = gelu(mlp.hook_pre)"] = maxdiff(dump("blocks.1.mlp.hook_post"),
                                                               gelu(torch.from_numpy(dump("blocks.1.mlp.hook_pre"))).numpy(), tok)
    else:
        checks["resid_post = resid_mid + mlp_out"] = maxdiff(post, mid + mlp, tok)
        checks["resid_post(1) = resid_pre(2)"] = maxdiff(post, dump("blocks.2.hook_resid_pre"), tok)
        hp = torch.from_numpy(dump("blocks.1.mlp.hook_pre"))
        if k == "gpt2":
            act = 0.5 * hp * (1 + torch.tanh((2 / np.pi) ** 0.5 * (hp + 0.044715 * hp ** 3)))   # gelu_new
            checks["resid_pre(0) = hook_embed + hook_pos_embed"] = maxdiff(dump("blocks.0.hook_resid_pre"),
                                                                            dump("hook_embed") + dump("hook_pos_embed"), tok)
        else:
            fn = torch.nn.functional.silu if k == "llama" else (lambda v: torch.nn.functional.gelu(v, approximate="tanh"))
            act = fn(hp) * torch.from_numpy(dump("blocks.1.mlp.hook_pre_linear"))
            checks["resid_pre(0) = hook_embed"] = maxdiff(dump("blocks.0.hook_resid_pre"), dump("hook_embed"), tok)
        checks["mlp.hook_post = act(mlp.hook_pre) [* hook_pre_linear]"] = maxdiff(dump("blocks.1.mlp.hook_post"), act.numpy(), tok)
    for name, d in checks.items():
        figures[f"hooks.{k}.identity {name} max abs diff"] = d
        assert d < 1e-4, name


def test_hook_z_head_index_and_centring(arch, tmp_path):
    """hook_z of one head (an SAE's hook_head_index) is that head's slice; centring subtracts the mean."""
    import json
    k, dump = arch["kind"], arch["dump"]
    z = dump("blocks.1.attn.hook_z")
    heads = 4
    d_head = z.shape[-1] // heads
    sae = tmp_path / "sae"
    sae.mkdir()
    (sae / "cfg.json").write_text(json.dumps({"d_in": d_head, "d_sae": 8, "metadata": {
        "model_name": arch["folder"], "hook_name": "blocks.1.attn.hook_z", "hook_head_index": 2, "context_size": 20,
        "prepend_bos": True}}))
    one = dump("blocks.1.attn.hook_z", "--sae", str(sae))
    assert np.array_equal(one, z[..., 2 * d_head:3 * d_head])
    if k == "gpt2":
        pre = dump("blocks.1.hook_resid_pre")
        c = dump("blocks.1.hook_resid_pre", "--center-writing-weights")
        assert maxdiff(c, pre - pre.mean(-1, keepdims=True), arch["tokens"]) < 1e-6
        assert np.array_equal(dump("blocks.1.mlp.hook_post", "--center-writing-weights"), dump("blocks.1.mlp.hook_post"))


def test_unknown_hook_lists_the_valid_ones(arch, tmp_path):
    out = tmp_path / "x.safetensors"
    r = bridge("--model", arch["folder"], "--tokens", _tokens(arch, tmp_path), "--hook-name", "blocks.1.hook_resid_middle", "-o", str(out))
    assert r.code == 2 and len(r.lines) == 1, r.err
    assert "valid:" in r.err and "blocks.{L}.hook_resid_mid" in r.err and "L = 0..2" in r.err
    r = bridge("--model", arch["folder"], "--tokens", _tokens(arch, tmp_path), "--hook-name", "blocks.7.hook_resid_pre", "-o", str(out))
    assert r.code == 2 and len(r.lines) == 1 and "layers 0..2" in r.err, r.err
    assert not os.listdir(tmp_path) or not any(n.startswith("x") for n in os.listdir(tmp_path))


def _tokens(arch, tmp_path):
    p = str(tmp_path / "t.npy")
    np.save(p, arch["tokens"])
    return p
