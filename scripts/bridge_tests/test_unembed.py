"""OUT.unembed.safetensors: W_U and the final norm, checked against the model's own weights and,
through the metadata's norm convention, against the model's own logits."""
import json

import numpy as np
import pytest
import torch

from conftest import bridge_ok, load_st, random_tokens, st_metadata


@pytest.mark.parametrize("kind", ["gpt2", "llama", "gemma2"])
def test_unembed_file(kind, tiny_models, tmp_path, figures):
    import transformers as tf
    folder = tiny_models[kind]
    model = tf.AutoModelForCausalLM.from_pretrained(folder).eval()
    t = random_tokens(model.config.vocab_size, 3, 12, 8)
    np.save(tmp_path / "t.npy", t)
    last = model.config.num_hidden_layers - 1
    bridge_ok("--model", folder, "--tokens", str(tmp_path / "t.npy"), "--hook-name", f"blocks.{last}.hook_resid_post", "--dtype", "f32",
              "-o", str(tmp_path / "o.safetensors"))
    u = load_st(str(tmp_path / "o.unembed.safetensors"))
    meta = st_metadata(str(tmp_path / "o.unembed.safetensors"))
    assert u["W_U"].dtype == np.float32 and u["W_U"].shape == (model.config.hidden_size, model.config.vocab_size)
    assert np.array_equal(u["W_U"], model.lm_head.weight.detach().numpy().T)
    norm = model.transformer.ln_f if kind == "gpt2" else model.model.norm
    assert np.array_equal(u["final_norm.weight"], norm.weight.detach().numpy())
    assert json.loads(meta["saex_unembed"])["architecture"] == kind
    if kind == "gpt2":
        assert meta["final_norm"] == "LayerNorm" and meta["final_norm_weight_offset"] == "0" and meta["tied_embeddings"] == "true"
        assert np.array_equal(u["final_norm.bias"], norm.bias.detach().numpy())
        assert np.array_equal(u["W_U"], model.transformer.wte.weight.detach().numpy().T)
    else:
        assert meta["final_norm"] == "RMSNorm" and "final_norm.bias" not in u
        assert meta["final_norm_weight_offset"] == ("1" if kind == "gemma2" else "0")
    # The metadata must say enough to rebuild the logits from the last resid_post.
    x = torch.from_numpy(load_st(str(tmp_path / "o.safetensors"))["activations"]).double()
    eps = float(meta["final_norm_eps"])
    w = torch.from_numpy(u["final_norm.weight"]).double() + float(meta["final_norm_weight_offset"])
    if meta["final_norm"] == "LayerNorm":
        h = torch.nn.functional.layer_norm(x, x.shape[-1:], eps=eps) * w + torch.from_numpy(u["final_norm.bias"]).double()
    else:
        h = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w
    logits = h @ torch.from_numpy(u["W_U"]).double()
    if "final_logit_softcapping" in meta:
        cap = float(meta["final_logit_softcapping"])
        logits = torch.tanh(logits / cap) * cap
    with torch.no_grad():
        tt = torch.from_numpy(t)
        want = model(input_ids=torch.where(tt >= 0, tt, 0), attention_mask=(tt >= 0).long()).logits.double()
    real = tt >= 0
    d = float((logits[real] - want[real]).abs().max())
    figures[f"unembed.{kind}: logits rebuilt from resid_post + unembed file, max abs diff"] = d
    assert d < 1e-4


def test_no_unembed_for_an_encoder(tiny_models, tmp_path):
    import transformers as tf
    folder = tiny_models["bert"]
    t = random_tokens(tf.AutoConfig.from_pretrained(folder).vocab_size, 2, 6, 1)
    np.save(tmp_path / "t.npy", t)
    bridge_ok("--model", folder, "--tokens", str(tmp_path / "t.npy"), "--hook-name", "blocks.0.hook_resid_post",
              "-o", str(tmp_path / "o.safetensors"))
    assert not (tmp_path / "o.unembed.safetensors").exists() and (tmp_path / "o.tokenizer.json").exists()
