"""--encode: the torch encoder against `saex encode` (dense F32) for every dictionary kind in
fixtures/loaders, and its per-row quantities against numpy; the features file's layout.

Tolerance (docs/BRIDGE.md): values agree within 1e-4 * (1 + |value|); an entry present on one side
only is allowed only where the numpy decision variable lies within that tolerance of the rule's
threshold (0 for ReLU, threshold_i for JumpReLU, the gate's 0, the k-th largest pre-activation for TopK).
"""
import json
import math
import os
import shutil

import numpy as np
import pytest

from conftest import LOADERS, bridge, bridge_ok, load_st, make_model, random_tokens, run_saex, st_metadata

CASES = {  # --encode name -> folder under fixtures/loaders
    "standard_f32": "saelens_standard_f32", "standard_f16": "saelens_standard_f16", "standard_bf16": "saelens_standard_bf16",
    "no_bdec": "saelens_standard_no_bdec_input", "topk": "saelens_topk", "topk_rescale": "saelens_topk_rescale",
    "jumprelu": "saelens_jumprelu", "gated": "saelens_gated", "batchtopk": "saelens_batchtopk_checkpoint",
    "v5_topk": "saelens_v5_topk", "legacy": "saelens_legacy_hook_point_relu", "expected_avg": "saelens_expected_average_checkpoint",
    "sparsify": "sparsify_run/layers.3", "gemmascope": "gemmascope_npz", "gemmascope_z": "gemmascope_npz_compressed",
    "cos_relu_scalar": "cosine_relu_scalar_alpha", "cos_jumprelu": "cosine_jumprelu_alpha", "cos_topk_logit": "cosine_topk_alpha_logit",
    "cos_f16": "cosine_f16",
}
TOL = lambda v: 1e-4 * (1 + np.abs(v))  # noqa: E731


# --- an independent numpy encoder (float64), from the formulas of fixtures/loaders/README.md -------------

class NumpySAE:
    def __init__(self, path):
        self.path = path
        folder = path if os.path.isdir(path) else os.path.dirname(path)
        if os.path.exists(os.path.join(folder, "params.npz")) or path.endswith(".npz"):
            z = np.load(path if path.endswith(".npz") else os.path.join(folder, "params.npz"))
            w = {k: z[k].astype(np.float64) for k in z.files}
            self.__dict__.update(W=w["W_enc"], b=w["b_enc"], W_dec=w["W_dec"], b_dec=w["b_dec"], bdec_in=False, norm=None,
                                 kind="jumprelu", thr=w["threshold"], cos=False, rescale=False)
            return
        cfg = json.load(open(os.path.join(folder, "cfg.json")))
        if os.path.exists(os.path.join(folder, "sae.safetensors")):
            w = {k: v.astype(np.float64) for k, v in load_st(os.path.join(folder, "sae.safetensors")).items()}
            self.__dict__.update(W=w["encoder.weight"].T, b=w["encoder.bias"], W_dec=w["W_dec"], b_dec=w["b_dec"], bdec_in=True,
                                 norm=None, kind="topk", k=cfg["k"], cos=False, rescale=False)
            return
        import torch
        from safetensors.torch import load_file
        w = {k: v.to(torch.float64).numpy() for k, v in load_file(os.path.join(folder, "sae_weights.safetensors")).items()}
        self.W, self.W_dec, self.b_dec = w["W_enc"], w["W_dec"], w["b_dec"]
        self.b = w.get("b_enc")
        self.bdec_in = cfg.get("apply_b_dec_to_input", True)
        na = cfg.get("normalize_activations")
        self.norm = None if na in (None, False, "none") else na
        if self.norm in (True, "expected_average_only_in"):
            self.norm, self.s = "scale", json.load(open(os.path.join(folder, "activation_scaler.json")))["scaling_factor"]
        arch = cfg.get("architecture", "standard")
        if "metadata" not in cfg and cfg.get("activation_fn_str", cfg.get("activation_fn")) == "topk":
            arch, cfg["k"] = "topk", cfg["activation_fn_kwargs"]["k"]
        self.cos, self.rescale, self.kind = arch == "cosine", False, "relu"
        if arch == "cosine":
            self.alpha = w["alpha"] if "alpha" in w else 1 / (1 + np.exp(-w["alpha_logit"]))
            self.kind = "jumprelu" if "threshold" in w else "topk" if "k" in cfg else "relu"
            self.thr, self.k = w.get("threshold"), cfg.get("k")
        elif arch == "topk":
            self.kind, self.k, self.rescale = "topk", int(cfg["k"]), bool(cfg.get("rescale_acts_by_decoder_norm"))
        elif arch == "jumprelu":
            self.kind, self.thr = "jumprelu", w["threshold"]
        elif arch == "batchtopk":
            self.kind, self.rescale = "jumprelu", bool(cfg.get("rescale_acts_by_decoder_norm"))
            self.thr = np.full(self.W.shape[1], float(w["topk_threshold"]))
        elif arch == "gated":
            self.kind, self.b_gate, self.b_mag, self.r_mag = "gated", w["b_gate"], w["b_mag"], w["r_mag"]

    def encode(self, x):
        x = x.astype(np.float64)
        if self.norm == "scale":
            x = x * self.s
        elif self.norm == "constant_norm_rescale":
            n = np.linalg.norm(x, axis=1, keepdims=True)
            x = x * np.where(n > 0, math.sqrt(x.shape[1]) / np.where(n > 0, n, 1), 1)
        elif self.norm == "layer_norm":
            mu = x.mean(1, keepdims=True)
            x = (x - mu) / (np.sqrt(((x - mu) ** 2).mean(1, keepdims=True)) + 1e-5)
        u = x - self.b_dec if self.bdec_in else x
        out = {"u": u, "gate": None}
        if self.kind == "gated":
            out["gate"] = u @ self.W + self.b_gate
            pre = u @ (self.W * np.exp(self.r_mag)[None, :]) + self.b_mag
            out.update(pre=pre, acts=np.where(out["gate"] > 0, np.maximum(pre, 0), 0), var=out["gate"], thr=np.zeros(pre.shape))
            return out
        if self.cos:
            un = np.linalg.norm(u, axis=1, keepdims=True)
            wn = np.linalg.norm(self.W, axis=0)[None, :]
            pre = (u @ self.W) / (wn * np.where(un > 0, un, 1)) * un ** np.broadcast_to(self.alpha, (self.W.shape[1],))[None, :] + self.b
            pre = np.where(un > 0, pre, self.b)
        else:
            pre = u @ self.W + self.b
        if self.rescale:
            pre = pre * np.linalg.norm(self.W_dec, axis=1)[None, :]
        if self.kind == "relu":
            acts, thr = np.maximum(pre, 0), np.zeros(pre.shape)
        elif self.kind == "jumprelu":
            thr = np.broadcast_to(np.maximum(self.thr, 0), pre.shape)
            acts = np.where(pre > thr, pre, 0)
        else:
            order = np.lexsort((np.broadcast_to(np.arange(pre.shape[1]), pre.shape), -pre), axis=1)[:, :self.k]
            acts = np.zeros_like(pre)
            np.put_along_axis(acts, order, np.maximum(np.take_along_axis(pre, order, 1), 0), 1)
            thr = np.broadcast_to(np.sort(pre, axis=1)[:, -self.k][:, None], pre.shape)
        out.update(pre=pre, acts=acts, var=pre, thr=thr)
        return out


def numpy_norm_dicts(tmp):
    """Two more SAELens folders for the normalisations no fixture uses: constant_norm_rescale, layer_norm."""
    made = {}
    for mode in ("constant_norm_rescale", "layer_norm"):
        d = tmp / mode
        shutil.copytree(os.path.join(LOADERS, "saelens_standard_f32"), d)
        cfg = json.loads((d / "cfg.json").read_text())
        cfg["normalize_activations"] = mode
        (d / "cfg.json").write_text(json.dumps(cfg))
        made[mode.split("_")[0] + "_norm"] = str(d)
    return made


@pytest.fixture(scope="module")
def encoded(tmp_path_factory, corpus, saex):
    tmp = tmp_path_factory.mktemp("encode")
    model = make_model("gpt2", str(tmp / "gpt2-16"), corpus, d_model=16, n_layer=4, init=0.5, seed=1)
    from transformers import AutoConfig
    tokens = random_tokens(AutoConfig.from_pretrained(model).vocab_size, sequences=12, length=16, seed=5)
    tokens[3, :] = -1                     # a sequence of padding only
    np.save(tmp / "tokens.npy", tokens)
    dicts = {name: os.path.join(LOADERS, folder) for name, folder in CASES.items()}
    dicts.update(numpy_norm_dicts(tmp))
    out = str(tmp / "acts.safetensors")
    args = ["--model", model, "--tokens", str(tmp / "tokens.npy"), "--hook-name", "blocks.3.hook_resid_post", "--dtype", "f32",
            "--check-fraction", "0.2", "-o", out]
    for name, path in dicts.items():
        args += ["--encode", f"{name}={path}"]
    bridge_ok(*args)
    feats = load_st(str(tmp / "acts.features.safetensors"))
    meta = json.loads(st_metadata(str(tmp / "acts.features.safetensors"))["saex_features"])
    dense = {}
    for name, path in dicts.items():
        o = str(tmp / f"dense-{name}.safetensors")
        run_saex(saex, "encode", path, out, "-o", o)
        dense[name] = load_st(o)["feature_acts"]
    return {"dicts": dicts, "acts": load_st(out), "feats": feats, "meta": meta, "dense": dense, "tokens": tokens, "tmp": tmp}


def csr_dense(feats, name, rows, d_sae, key="values"):
    out = np.zeros((rows, d_sae), np.float32)
    ptr = feats[f"{name}.row_ptr"]
    r = np.repeat(np.arange(rows), np.diff(ptr))
    out[r, feats[f"{name}.features"]] = feats[f"{name}.{key}"]
    return out


def test_layout(encoded):
    f, m, t = encoded["feats"], encoded["meta"], encoded["tokens"]
    R = t.size
    real = np.nonzero(t.reshape(-1) >= 0)[0]
    assert m["version"] == 1 and m["rows"] == R and m["sequences"] == 12 and m["sequence_length"] == 16 and m["d_in"] == 16
    assert m["producer"].startswith("saex dump_activations.py") and m["device"] == "cpu" and m["dtype"] == "f32"
    assert [d["name"] for d in m["dictionaries"]] == list(encoded["dicts"])
    assert np.array_equal(f["tokens"], t.astype(np.int32)) and f["tokens"].dtype == np.int32
    rows = f["check.rows"]
    assert rows.dtype == np.int64 and np.all(np.diff(rows) > 0) and set(rows) <= set(real)
    assert len(rows) == m["check"]["rows"] >= math.ceil(0.2 * len(real)) and m["check"]["fraction"] == 0.2
    x = encoded["acts"]["activations"].reshape(R, 16)
    assert np.array_equal(f["check.activations"], x[rows])
    np.testing.assert_allclose(f["norms"], np.linalg.norm(x.astype(np.float64), axis=1), rtol=1e-6, atol=1e-6)
    assert np.all(f["norms"][t.reshape(-1) < 0] == 0)
    for d in m["dictionaries"]:
        n = d["name"]
        ptr, feat, val = f[f"{n}.row_ptr"], f[f"{n}.features"], f[f"{n}.values"]
        assert ptr.dtype == np.int64 and ptr.shape == (R + 1,) and ptr[0] == 0 and np.all(np.diff(ptr) >= 0)
        assert feat.dtype == np.int32 and val.dtype == np.float32 and len(feat) == len(val) == ptr[-1] == len(f[f"{n}.pre"])
        assert np.all(val != 0) and np.all((feat >= 0) & (feat < d["d_sae"]))
        for r in range(R):
            assert np.all(np.diff(feat[ptr[r]:ptr[r + 1]]) > 0)
        assert np.all(np.diff(ptr)[t.reshape(-1) < 0] == 0)
        for key in ("u_norm", "u_dot_bdec", "bdec_norms"):
            assert f[f"{n}.{key}"].shape == (R,) and np.all(f[f"{n}.{key}"][t.reshape(-1) < 0] == 0)


def test_fingerprints_are_saex_fingerprints(encoded, saex):
    for d in encoded["meta"]["dictionaries"][:3]:
        want = json.loads(run_saex(saex, "inspect", d["path"], "--format", "json"))["fingerprint"]
        assert d["fingerprint"] == want


@pytest.mark.parametrize("name", list(CASES) + ["constant_norm", "layer_norm"])
def test_torch_encoder_equals_saex_encode(encoded, name, figures):
    f, t = encoded["feats"], encoded["tokens"].reshape(-1)
    ref = encoded["dense"][name]
    R, F = ref.shape
    mine = csr_dense(f, name, R, F)
    x = encoded["acts"]["activations"].reshape(R, -1)
    npy = NumpySAE(encoded["dicts"][name]).encode(x)
    both = (mine != 0) & (ref != 0)
    assert both.sum() > 0, "the dictionary never fires on these activations: the test would check nothing"
    diff = np.abs(mine - ref)
    assert np.all(diff[both] <= TOL(ref[both])), (name, float(diff[both].max()))
    one = (mine != 0) ^ (ref != 0)
    near = np.abs(npy["var"] - npy["thr"]) <= TOL(npy["thr"])
    if npy["gate"] is not None:                         # gated: the gate's sign or the magnitude's ReLU
        near |= np.abs(npy["pre"]) <= TOL(0)
    assert np.all(near[one]), f"{name}: {int(one.sum())} entries on one side only, not at the threshold"
    # pre, u_norm, u . b_dec, ||x - b_dec|| against numpy (float64)
    pre = csr_dense(f, name, R, F, "pre")
    have = csr_dense(f, name, R, F) != 0
    assert np.all(np.abs(pre[have] - npy["pre"][have]) <= TOL(npy["pre"][have]))
    real = t >= 0
    d = NumpySAE(encoded["dicts"][name])
    np.testing.assert_allclose(f[f"{name}.u_norm"][real], np.linalg.norm(npy["u"], axis=1)[real], rtol=1e-5, atol=1e-5)
    want_dot = (npy["u"] @ d.b_dec) if d.bdec_in else np.zeros(R)
    np.testing.assert_allclose(f[f"{name}.u_dot_bdec"][real], want_dot[real], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(f[f"{name}.bdec_norms"][real], np.linalg.norm(x.astype(np.float64) - d.b_dec, axis=1)[real],
                               rtol=1e-5, atol=1e-5)
    figures[f"encode.{name}: entries, max |torch - saex| / (1 + |saex|), one-sided entries"] = (
        int(both.sum()), float((diff[both] / (1 + np.abs(ref[both]))).max()), int(one.sum()))


@pytest.mark.parametrize("name", list(CASES))
def test_torch_encoder_on_the_fixture_reference(name):
    """The loaders' own numpy reference (rows 0 and 1 give u = 0 exactly)."""
    import torch
    from saex_bridge import dictionaries
    path = os.path.join(LOADERS, CASES[name])
    ref = load_st(os.path.join(path if os.path.isdir(path) else os.path.dirname(path), "reference.safetensors"))
    enc = dictionaries.TorchEncoder(dictionaries.load(path))
    out = enc.encode(torch.from_numpy(ref["x"]))
    acts, pre = out["acts"].numpy(), out["pre"].numpy()
    assert np.all(np.abs(acts - ref["feature_acts"]) <= TOL(ref["feature_acts"]))
    want_pre = ref["pre_linear"] if "sparsify" in path else ref["pre"]
    assert np.all(np.abs(pre - want_pre) <= TOL(want_pre))


def test_bad_dictionaries_are_one_line_errors(encoded, tmp_path):
    tmp = encoded["tmp"]
    model = str(tmp / "gpt2-16")
    base = ["--model", model, "--tokens", str(tmp / "tokens.npy"), "--hook-name", "blocks.3.hook_resid_post"]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "cfg.json").write_text("{not json")
    (broken / "sae_weights.safetensors").write_bytes(b"\x00" * 7)
    cases = {
        f"x={tmp_path}/missing": "no such file or folder",
        f"x={broken}": "is not valid JSON",
        f"x={LOADERS}/sparsify_run": "holds 1 dictionary folders",
        "bad name=x": "only letters",
        "noequals": "NAME=DIR",
    }
    w16 = tmp_path / "w16"
    shutil.copytree(os.path.join(LOADERS, "saelens_topk"), w16)
    cfg = json.loads((w16 / "cfg.json").read_text())
    del cfg["k"]
    (w16 / "cfg.json").write_text(json.dumps(cfg))
    cases[f"x={w16}"] = 'key "k" missing'
    for spec, words in cases.items():
        out = tmp_path / "o.safetensors"
        r = bridge(*base, "--encode", spec, "-o", str(out))
        assert r.code == 2 and len(r.lines) == 1 and words in r.err, (spec, r.err)
        assert not any(p.name.startswith("o.") for p in tmp_path.iterdir()), "nothing may be written"
    r = bridge("--model", model, "--tokens", str(tmp / "tokens.npy"), "--hook-name", "blocks.3.mlp.hook_post",
               "--encode", f"x={LOADERS}/saelens_topk", "-o", str(tmp_path / "o.safetensors"))
    assert r.code == 2 and "d_in 16" in r.err and "64 values per token" in r.err, r.err
