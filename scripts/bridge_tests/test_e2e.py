"""Text -> bridge -> saex cache build (demo dictionaries) -> saex contexts, against a numpy encode of
the bridge's own output."""
import json
import os

import numpy as np
import pytest

from conftest import DEMO, bridge_ok, load_st, run_saex


def numpy_encode(folder, x):
    """JumpReLU encode in float64 from the stored weights: standard (inner product) or cosine with
    per-feature alpha (docs/FORMATS.md), written here independently of the bridge and of saex."""
    w = {k: v.astype(np.float64) for k, v in load_st(os.path.join(folder, "sae_weights.safetensors")).items()}
    u = x.astype(np.float64) - w["b_dec"]
    g = u @ w["W_enc"]
    if "alpha" in w:
        un = np.linalg.norm(u, axis=1, keepdims=True)
        cos = g / (np.linalg.norm(w["W_enc"], axis=0)[None, :] * np.where(un > 0, un, 1))
        pre = cos * un ** w["alpha"][None, :] + w["b_enc"]
        pre = np.where(un > 0, pre, w["b_enc"])
    else:
        pre = g + w["b_enc"]
    return np.where((pre > w["threshold"]) & (pre > 0), pre, 0.0)


@pytest.fixture(scope="module")
def built(minilm_dir, heldout_text, saex, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    text = tmp / "heldout.txt"
    text.write_text("\n".join(heldout_text) + "\n", encoding="utf-8")
    acts = str(tmp / "acts.safetensors")
    bridge_ok("--model", minilm_dir, "--hook-name", "blocks.3.hook_resid_post", "--text", str(text), "--seq-len", "64", "-o", acts)
    cache = str(tmp / "demo.saexcache")
    run_saex(saex, "cache", "build", "--dict", f"standard={DEMO}/standard", "--dict", f"cosine={DEMO}/cosine_perfeature",
             "--activations", acts, "--vocab", str(tmp / "acts.tokenizer.json"), "-o", cache)
    from tokenizers import Tokenizer
    return {"acts": load_st(acts), "cache": cache, "vocab": Tokenizer.from_file(str(tmp / "acts.tokenizer.json"))}


def test_text_mode_tokenises_like_the_demo(built, heldout_tokens, figures):
    t = built["acts"]["tokens"]
    assert t.shape[1] == 64
    for row in t:
        n = int((row >= 0).sum())
        assert row[0] == 101 and row[n - 1] == 102 and np.all(row[n:] == -1)   # [CLS] ... [SEP], padding after
    same = sum(np.array_equal(a, b) for a, b in zip(t, heldout_tokens)) if len(t) == len(heldout_tokens) else 0
    figures["e2e.text re-tokenised rows identical to the held-out rows"] = f"{same}/{len(heldout_tokens)}"
    assert same >= 0.9 * len(heldout_tokens)


def test_text_mode_activations_agree_with_numpy_forward(built):
    import forward
    t = built["acts"]["tokens"]
    mask = (t >= 0).astype(np.int64)
    w = forward.load_weights()
    t, mask = t[:32], mask[:32]      # the MiniLM test covers all 128 held-out rows; here the text path's first 32
    ref = forward.run(w, np.where(t >= 0, t, 0).astype(np.int64), mask, stop_layer=3)
    a = built["acts"]["activations"][:32].astype(np.float64)[t >= 0]
    b = ref[t >= 0].astype(np.float64)
    assert np.all(np.abs(a - b) <= 1e-3 * np.abs(b) + 2e-3)   # stored as f16


@pytest.mark.parametrize("name,folder", [("standard", "standard"), ("cosine", "cosine_perfeature")])
def test_top_contexts_equal_numpy_encode(built, saex, name, folder, figures):
    t = built["acts"]["tokens"].reshape(-1)
    x = built["acts"]["activations"].reshape(-1, 384).astype(np.float32)
    f = numpy_encode(os.path.join(DEMO, folder), x)
    f[t < 0] = 0
    active = np.nonzero(f.max(axis=0) > 0)[0]
    rng = np.random.default_rng(3)
    picks = list(np.argsort(-f.max(axis=0))[:6]) + list(rng.choice(active, 10, replace=False))
    worst = 0.0
    for feat in picks:
        got = json.loads(run_saex(saex, "contexts", built["cache"], "--dict", name, "--feature", int(feat), "--format", "json"))
        ctx = [(c["sequence"] * 64 + c["position"], c["value"]) for c in got["contexts"]]
        for c in got["contexts"]:       # the shown tokens are the bridge's ids in the bridge's vocabulary
            ids = built["acts"]["tokens"][c["sequence"]]
            ids = ids[ids >= 0]
            assert [s.strip() for s in c["tokens"]] == [built["vocab"].id_to_token(int(i)).removeprefix("##") for i in ids]
        col = f[:, feat]
        order = np.lexsort((np.arange(len(col)), -col))
        want = [(int(r), float(col[r])) for r in order[:len(ctx)] if col[r] > 0]
        assert len(ctx) == len(want), feat
        tol = lambda v: 1e-4 * (1 + abs(v))  # noqa: E731  float32 (saex) against float64 (numpy)
        for (row, value), (_, v) in zip(ctx, want):
            assert abs(value - v) <= tol(v), (feat, value, v)          # the same values, rank by rank
            assert abs(col[row] - value) <= tol(value), (feat, row)     # each listed row really has that value
            worst = max(worst, abs(value - v) / (1 + abs(v)))
        kth = want[-1][1]
        must = {int(r) for r in np.nonzero(col > kth + tol(kth))[0]}
        assert must <= {r for r, _ in ctx}, feat                         # nothing clearly larger is missing
    figures[f"e2e.{name} top contexts: features checked"] = len(picks)
    figures[f"e2e.{name} top contexts: max |saex - numpy| / (1 + |numpy|)"] = worst
