"""SAE dictionaries read the way saex reads them (Sources/SAEKit/Dictionary/DictionaryLoader.swift) and
encoded in torch exactly as saex's FeatureEncoder does (docs/FORMATS.md, "Dictionaries").

Every tensor is converted to float32 when loaded; arithmetic runs in float32 on the chosen device,
with the few steps saex does in float64 (encoder column norms, exp(r_mag), the layer_norm statistics,
||u||^(alpha - 1) for a global alpha) done in float64 too (float32 on MPS, which has no float64).
"""
import json
import math
import os
from dataclasses import dataclass, field
from typing import Optional

from .errors import BridgeError


def _err(path, what, why, fix=""):
    return BridgeError(f"{path}: {what} {why}" + (f"; {fix}" if fix else ""))


def _read_cfg(path):
    try:
        with open(path, encoding="utf-8") as f:
            cfg = json.load(f)
    except OSError as e:
        raise BridgeError(f"{path}: cannot be read ({e.strerror})")
    except ValueError:
        raise BridgeError(f"{path}: is not valid JSON; fix or regenerate the file")
    if not isinstance(cfg, dict):
        raise BridgeError(f"{path}: must be a JSON object")
    return cfg


def _value(cfg, key, path, valid, must, default=None):
    """cfg[key], `default` when it is absent or null, a one-line error saying what it `must` be when
    `valid` rejects it."""
    v = cfg.get(key)
    if v is None:
        return default
    if not valid(v):
        raise _err(path, f'key "{key}"', must)
    return v


def _is_integer(v):
    return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v) and v == int(v)


def _int(cfg, key, path, required=False, positive=False):
    if required and cfg.get(key) is None:
        raise _err(path, f'key "{key}"', "missing", "add it to cfg.json")
    v = _value(cfg, key, path, _is_integer, "must be an integer")
    if v is None:
        return None
    v = int(v)
    if positive and v <= 0:
        raise _err(path, f'key "{key}"', "must be a positive integer")
    return v


def _bool(cfg, key, path, default):
    return _value(cfg, key, path, lambda v: isinstance(v, bool), "must be true or false", default)


def _str(cfg, key, path):
    return _value(cfg, key, path, lambda v: isinstance(v, str), "must be a string")


@dataclass
class Dictionary:
    path: str
    format: str            # saelens-v6, saelens-v5, cosine, sparsify, gemmascope
    architecture: str      # as saex names it
    d_in: int
    d_sae: int
    W_enc: object          # torch [d_in, d_sae]
    b_enc: Optional[object]
    W_dec: object          # torch [d_sae, d_in]
    b_dec: object          # torch [d_in]
    apply_b_dec: bool
    rule: str              # relu, jumprelu, batchtopk, gated, topk
    k: Optional[int] = None
    threshold: Optional[object] = None       # torch [d_sae] (jumprelu)
    topk_threshold: Optional[float] = None   # batchtopk checkpoint (float64 as stored)
    b_gate: Optional[object] = None
    b_mag: Optional[object] = None
    r_mag: Optional[object] = None
    cosine: bool = False
    alpha: Optional[object] = None           # float (global) or torch [d_sae]
    rescale: bool = False
    normalization: tuple = ("none",)         # ("none",), ("scale", s), ("norm_rescale",), ("layer_norm",)
    model_name: Optional[str] = None
    hook_name: Optional[str] = None
    files: list = field(default_factory=list)

    @property
    def alpha_is_global(self) -> bool:
        return isinstance(self.alpha, float)


class _Bag:
    def __init__(self, path):
        self.path = path
        try:
            if path.endswith(".npz"):
                import numpy as np
                import torch
                with np.load(path, allow_pickle=False) as z:
                    self.t = {k: torch.from_numpy(np.array(z[k])) for k in z.files}
            else:
                from safetensors.torch import load_file
                self.t = load_file(path)
        except Exception as e:
            raise BridgeError(f"{path}: cannot be read as {'an .npz archive' if path.endswith('.npz') else 'safetensors'} "
                              f"({' '.join(str(e).split())[:160]})")

    def has(self, name):
        return name in self.t

    def require(self, name):
        if name not in self.t:
            raise _err(self.path, f'tensor "{name}"', f"missing (the file has: {', '.join(sorted(self.t))})",
                       "check that this is the right kind of dictionary")
        return self.t[name]

    def floats(self, name, shape):
        import torch
        t = self.require(name)
        if list(t.shape) != list(shape):
            raise _err(self.path, f'tensor "{name}"', f"has shape {list(t.shape)}, expected {list(shape)}",
                       "check d_in and d_sae in cfg.json against the weights")
        if not t.is_floating_point():
            raise _err(self.path, f'tensor "{name}"', f"has dtype {t.dtype}, expected a float type")
        t = t.to(torch.float32)
        if not torch.isfinite(t).all():
            raise _err(self.path, f'tensor "{name}"', "holds NaN or infinite values", "use another checkpoint")
        return t


def _normalization(cfg, cfg_path, folder):
    raw = cfg.get("normalize_activations")
    if raw is None:
        value = "none"
    elif isinstance(raw, bool):
        value = "expected_average_only_in" if raw else "none"
    elif isinstance(raw, str):
        value = raw
    else:
        raise _err(cfg_path, 'key "normalize_activations"', "must be a string")
    if value == "none":
        return ("none",)
    if value == "constant_norm_rescale":
        return ("norm_rescale",)
    if value == "layer_norm":
        return ("layer_norm",)
    if value == "expected_average_only_in":
        scaler = os.path.join(folder, "activation_scaler.json")
        if not os.path.exists(scaler):
            raise _err(cfg_path, 'key "normalize_activations"', "is expected_average_only_in but the folder has no activation_scaler.json",
                       "copy activation_scaler.json from the training run, or set it to \"none\" if the factor was folded in")
        s = _read_cfg(scaler).get("scaling_factor")
        if s is None:
            return ("none",)
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s) or s <= 0:
            raise _err(scaler, 'key "scaling_factor"', "must be a positive number")
        return ("scale", float(s))
    raise _err(cfg_path, 'key "normalize_activations"', f'"{value}" is not supported',
               "saex reads none, expected_average_only_in, constant_norm_rescale and layer_norm")


def load(path: str) -> Dictionary:
    """Recognises and loads the dictionary at `path` (a folder, or one of its files)."""
    if not os.path.exists(path):
        raise BridgeError(f"{path}: no such file or folder; give a dictionary folder or a params.npz")
    if os.path.isfile(path):
        name, folder = os.path.basename(path), os.path.dirname(path) or "."
        if name.endswith(".npz"):
            return _gemmascope(path)
        if name in ("sae_weights.safetensors", "sae.safetensors", "cfg.json"):
            return load(folder)
        raise BridgeError(f"{path}: is not a dictionary; give a SAELens, cosine or sparsify folder or a Gemma Scope params.npz")
    has = lambda n: os.path.exists(os.path.join(path, n))  # noqa: E731
    cfg_path = os.path.join(path, "cfg.json")
    if has("cfg.json") and has("sae_weights.safetensors"):
        cfg = _read_cfg(cfg_path)
        if _str(cfg, "architecture", cfg_path) == "cosine":
            return _cosine(path, cfg, cfg_path)
        return _saelens(path, cfg, cfg_path)
    if has("cfg.json") and has("sae.safetensors"):
        return _sparsify(path, _read_cfg(cfg_path), cfg_path)
    if has("params.npz"):
        return _gemmascope(os.path.join(path, "params.npz"))
    subs = sorted(s for s in os.listdir(path)
                  if any(os.path.exists(os.path.join(path, s, w)) for w in ("sae.safetensors", "sae_weights.safetensors")))
    if subs:
        raise BridgeError(f"{path}: holds {len(subs)} dictionary folders, not one dictionary; choose one: "
                          + ", ".join(os.path.join(path, s) for s in subs[:6]))
    if has("cfg.json"):
        raise BridgeError(f"{path}: has cfg.json but no sae_weights.safetensors (SAELens, cosine) or sae.safetensors (sparsify)")
    raise BridgeError(f"{path}: is not a dictionary folder; expected cfg.json + sae_weights.safetensors (SAELens, cosine), "
                      "cfg.json + sae.safetensors (sparsify) or params.npz (Gemma Scope)")


def _check_d_in(cfg_path, declared, t, bag_path):
    if t.dim() != 2:
        raise _err(bag_path, 'tensor "W_enc"', f"has shape {list(t.shape)}, expected a matrix")
    if t.shape[0] != declared:
        raise _err(cfg_path, 'key "d_in"', f"is {declared} but tensor W_enc has shape {list(t.shape)}",
                   "the config does not belong to these weights")


def _saelens(folder, cfg, cfg_path):
    weights = os.path.join(folder, "sae_weights.safetensors")
    bag = _Bag(weights)
    meta = cfg.get("metadata") if isinstance(cfg.get("metadata"), dict) else None
    is_v5 = meta is None and any(k in cfg and cfg[k] is not None
                                 for k in ("activation_fn_str", "activation_fn", "hook_point", "hook_name", "model_name"))
    arch = _str(cfg, "architecture", cfg_path) or "standard"
    k = _int(cfg, "k", cfg_path)
    if is_v5:
        fn = _str(cfg, "activation_fn_str", cfg_path) or _str(cfg, "activation_fn", cfg_path) or "relu"
        if fn == "topk":
            arch = "topk" if arch == "standard" else arch
            kw = cfg.get("activation_fn_kwargs") if isinstance(cfg.get("activation_fn_kwargs"), dict) else {}
            k = _int(kw, "k", cfg_path) if kw.get("k") is not None else k
            if k is None:
                raise _err(cfg_path, 'key "activation_fn_kwargs.k"', "missing for a topk activation", "add the k the SAE was trained with")
        elif fn != "relu":
            raise _err(cfg_path, 'key "activation_fn_str"', f'"{fn}" is not supported', "saex reads relu and topk v5 SAEs")
    d_in = _int(cfg, "d_in", cfg_path, required=True, positive=True)
    d_sae = _int(cfg, "d_sae", cfg_path, required=True, positive=True)
    apply_b_dec = _bool(cfg, "apply_b_dec_to_input", cfg_path, True)
    normalization = _normalization(cfg, cfg_path, folder)
    reshape = _str(cfg, "reshape_activations", cfg_path)
    if reshape is not None and reshape != "none":
        raise _err(cfg_path, 'key "reshape_activations"', f'"{reshape}" is not supported',
                   "saex reads SAEs on flat activations (reshape_activations: none)")
    m = meta if meta is not None else cfg
    _check_d_in(cfg_path, d_in, bag.require("W_enc"), bag.path)
    d = Dictionary(path=folder, format="saelens-v5" if is_v5 else "saelens-v6", architecture=arch, d_in=d_in, d_sae=d_sae,
                   W_enc=bag.floats("W_enc", [d_in, d_sae]), b_enc=None, W_dec=bag.floats("W_dec", [d_sae, d_in]),
                   b_dec=bag.floats("b_dec", [d_in]), apply_b_dec=apply_b_dec, rule="relu", normalization=normalization,
                   model_name=m.get("model_name"), hook_name=m.get("hook_name") or m.get("hook_point"),
                   files=[cfg_path, weights])
    rescale = _bool(cfg, "rescale_acts_by_decoder_norm", cfg_path, False)
    if arch == "standard":
        d.rule, rescale = "relu", False
    elif arch == "topk":
        if k is None:
            raise _err(cfg_path, 'key "k"', "missing for a topk SAE", "add the k the SAE was trained with")
        if k <= 0:
            raise _err(cfg_path, 'key "activation_fn_kwargs.k"' if is_v5 else 'key "k"', "must be a positive integer")
        d.rule, d.k = "topk", k
    elif arch == "jumprelu":
        d.rule, d.threshold, rescale = "jumprelu", bag.floats("threshold", [d_sae]), False
    elif arch == "batchtopk":
        t = bag.require("topk_threshold")
        if t.numel() != 1:
            raise _err(bag.path, 'tensor "topk_threshold"', f"has shape {list(t.shape)}, expected a single value")
        v = float(t.reshape(-1)[0].item())
        if not math.isfinite(v):
            raise _err(bag.path, 'tensor "topk_threshold"', "is not finite", "use another checkpoint")
        d.rule, d.topk_threshold = "batchtopk", v
    elif arch == "gated":
        d.rule = "gated"
        d.b_gate, d.b_mag, d.r_mag = bag.floats("b_gate", [d_sae]), bag.floats("b_mag", [d_sae]), bag.floats("r_mag", [d_sae])
        rescale = False
    else:
        raise _err(cfg_path, 'key "architecture"', f'"{arch}" is not a known SAELens architecture',
                   "saex reads standard, topk, jumprelu, gated, batchtopk and cosine")
    if arch != "gated":
        d.b_enc = bag.floats("b_enc", [d_sae])
    d.rescale = rescale
    return d


def _cosine(folder, cfg, cfg_path):
    import torch
    weights = os.path.join(folder, "sae_weights.safetensors")
    bag = _Bag(weights)
    d_in = _int(cfg, "d_in", cfg_path, required=True, positive=True)
    d_sae = _int(cfg, "d_sae", cfg_path, required=True, positive=True)
    meta = cfg.get("metadata") if isinstance(cfg.get("metadata"), dict) else cfg
    _check_d_in(cfg_path, d_in, bag.require("W_enc"), bag.path)
    d = Dictionary(path=folder, format="cosine", architecture="cosine", d_in=d_in, d_sae=d_sae,
                   W_enc=bag.floats("W_enc", [d_in, d_sae]), b_enc=bag.floats("b_enc", [d_sae]),
                   W_dec=bag.floats("W_dec", [d_sae, d_in]), b_dec=bag.floats("b_dec", [d_in]),
                   apply_b_dec=_bool(cfg, "apply_b_dec_to_input", cfg_path, True), rule="relu", cosine=True,
                   normalization=_normalization(cfg, cfg_path, folder), model_name=meta.get("model_name"),
                   hook_name=meta.get("hook_name"), files=[cfg_path, weights])
    name = "alpha" if bag.has("alpha") else "alpha_logit" if bag.has("alpha_logit") else None
    if name is None:
        raise _err(weights, 'tensor "alpha"', "missing: a cosine dictionary needs alpha or alpha_logit",
                   "add alpha (0-d or [d_sae], values in [0, 1])")
    raw = bag.require(name)
    if not raw.is_floating_point():
        raise _err(weights, f'tensor "{name}"', f"has dtype {raw.dtype}, expected a float type")
    raw = raw.to(torch.float32)
    values = torch.sigmoid(raw) if name == "alpha_logit" else raw
    bad = ~((values >= 0) & (values <= 1))
    if bad.any():
        i = int(bad.reshape(-1).nonzero()[0])
        raise _err(weights, f'tensor "{name}"', f"feature {i}: alpha = {float(values.reshape(-1)[i])} is outside [0, 1]",
                   "alpha must lie in [0, 1]; store alpha_logit for an unconstrained parameter")
    if raw.dim() == 0 or list(raw.shape) == [1]:
        d.alpha = float(values.reshape(-1)[0])
    elif list(raw.shape) == [d_sae]:
        d.alpha = values
    else:
        raise _err(weights, f'tensor "{name}"', f"has shape {list(raw.shape)}, expected [] (global) or [{d_sae}] (per feature)")
    if bag.has("threshold"):
        d.rule, d.threshold = "jumprelu", bag.floats("threshold", [d_sae])
    elif cfg.get("k") is not None:
        k = _int(cfg, "k", cfg_path)
        if k <= 0:
            raise _err(cfg_path, 'key "k"', "must be a positive integer")
        d.rule, d.k = "topk", k
    return d


def _sparsify(folder, cfg, cfg_path):
    weights = os.path.join(folder, "sae.safetensors")
    bag = _Bag(weights)
    enc = bag.require("encoder.weight")
    if enc.dim() != 2:
        raise _err(weights, 'tensor "encoder.weight"', f"has shape {list(enc.shape)}, expected [d_sae, d_in]")
    if cfg.get("d_in") is not None:
        d_in = _int(cfg, "d_in", cfg_path, positive=True)
        if enc.shape[1] != d_in:
            raise _err(cfg_path, 'key "d_in"', f"is {d_in} but tensor encoder.weight has shape {list(enc.shape)}",
                       "the config does not belong to these weights")
    else:
        d_in = int(enc.shape[1])
    d_sae = _int(cfg, "num_latents", cfg_path) or 0
    if d_sae == 0:
        ef = _int(cfg, "expansion_factor", cfg_path) or 0
        d_sae = ef * d_in if ef > 0 else int(enc.shape[0])
    if _bool(cfg, "transcode", cfg_path, False):
        raise _err(cfg_path, 'key "transcode"', "transcoders are not supported", "saex reads sparse autoencoders")
    if _bool(cfg, "skip_connection", cfg_path, False) or bag.has("W_skip"):
        raise _err(cfg_path, 'key "skip_connection"', "skip connections are not supported")
    act = _str(cfg, "activation", cfg_path) or "topk"
    if act != "topk":
        raise _err(cfg_path, 'key "activation"', f'"{act}" is not supported', "saex reads topk sparsify SAEs")
    k = _int(cfg, "k", cfg_path, required=True, positive=True)
    return Dictionary(path=folder, format="sparsify", architecture="topk", d_in=d_in, d_sae=d_sae,
                      W_enc=bag.floats("encoder.weight", [d_sae, d_in]).t().contiguous(), b_enc=bag.floats("encoder.bias", [d_sae]),
                      W_dec=bag.floats("W_dec", [d_sae, d_in]), b_dec=bag.floats("b_dec", [d_in]), apply_b_dec=True,
                      rule="topk", k=k, hook_name=os.path.basename(os.path.normpath(folder)), files=[cfg_path, weights])


def _gemmascope(npz):
    bag = _Bag(npz)
    w = bag.require("W_enc")
    if w.dim() != 2:
        raise _err(npz, 'tensor "W_enc"', f"has shape {list(w.shape)}, expected [d_in, d_sae]")
    d_in, d_sae = int(w.shape[0]), int(w.shape[1])
    folder = os.path.dirname(npz)
    return Dictionary(path=npz, format="gemmascope", architecture="jumprelu", d_in=d_in, d_sae=d_sae,
                      W_enc=bag.floats("W_enc", [d_in, d_sae]), b_enc=bag.floats("b_enc", [d_sae]),
                      W_dec=bag.floats("W_dec", [d_sae, d_in]), b_dec=bag.floats("b_dec", [d_in]), apply_b_dec=False,
                      rule="jumprelu", threshold=bag.floats("threshold", [d_sae]),
                      hook_name=os.path.basename(folder) if folder else None, files=[npz])


class TorchEncoder:
    """FeatureEncoder in torch: prepare -> pre-activations -> activation rule."""

    def __init__(self, d: Dictionary, device: str = "cpu"):
        import torch
        self.d = d
        self.device = torch.device(device)
        self.f64 = torch.float64 if self.device.type != "mps" else torch.float32
        dev = lambda t: None if t is None else t.to(self.device, torch.float32).contiguous()  # noqa: E731
        self.W_enc = dev(d.W_enc)
        self.b_enc = dev(d.b_enc) if d.b_enc is not None else torch.zeros(d.d_sae, device=self.device)
        self.b_dec = dev(d.b_dec)
        self.threshold = dev(d.threshold)
        # saex: encoder column norms accumulated in float64, decoder row norms in float32 (snrm2).
        self.enc_norms = d.W_enc.to(torch.float64).pow(2).sum(0).sqrt().to(torch.float32).to(self.device)
        self.inv_enc = torch.where(self.enc_norms > 0, 1 / self.enc_norms, torch.zeros_like(self.enc_norms))
        self.dec_norms = torch.linalg.vector_norm(d.W_dec, dim=1).to(self.device)
        self.W_mag = None
        if d.r_mag is not None:
            scale = d.r_mag.to(torch.float64).exp().to(torch.float32)
            self.W_mag = (d.W_enc * scale[None, :]).to(self.device).contiguous()
            self.b_mag, self.b_gate = dev(d.b_mag), dev(d.b_gate)
        if d.cosine and not d.alpha_is_global:
            self.alpha = dev(d.alpha)
        if d.rule == "batchtopk":
            self.batch_threshold = torch.tensor(d.topk_threshold, dtype=torch.float32, device=self.device)

    def prepare(self, x):
        """normalise(x) - b_dec (when applied), float32 [n, d_in]."""
        import torch
        kind = self.d.normalization[0]
        if kind == "none":
            u = x.clone()
        elif kind == "scale":
            u = x * torch.tensor(self.d.normalization[1], dtype=torch.float32, device=x.device)
        elif kind == "norm_rescale":
            nrm = torch.linalg.vector_norm(x, dim=1, keepdim=True)
            s = torch.where(nrm > 0, math.sqrt(self.d.d_in) / nrm, torch.ones_like(nrm))
            u = x * s
        else:  # layer_norm: (x - mean) / (std + 1e-5), statistics in float64 (SAELens's eps placement)
            xd = x.to(self.f64)
            mean = xd.mean(dim=1, keepdim=True)
            std = ((xd - mean).pow(2).sum(dim=1, keepdim=True) / self.d.d_in).sqrt() + 1e-5
            u = ((xd - mean) / std).to(torch.float32)
        if self.d.apply_b_dec:
            u = u - self.b_dec
        return u

    def pre(self, u):
        """(pre, gate): the pre-activations as saex's FeatureEncoder.preActivations gives them."""
        import torch
        if self.W_mag is not None:
            return u @ self.W_mag + self.b_mag, u @ self.W_enc + self.b_gate
        raw = u @ self.W_enc
        if not self.d.cosine:
            pre = raw + self.b_enc
        else:
            un = torch.linalg.vector_norm(u, dim=1, keepdim=True)
            zero = un == 0
            safe = torch.where(zero, torch.ones_like(un), un)
            if self.d.alpha_is_global:
                f = safe.to(self.f64).pow(float(self.d.alpha) - 1.0).to(torch.float32)
                pre = raw * f * self.inv_enc + self.b_enc
            else:
                log_u = safe.to(self.f64).log().to(torch.float32)
                scale = torch.exp((self.alpha - 1) * log_u)
                pre = raw * scale * self.inv_enc + self.b_enc
            pre = torch.where(zero, self.b_enc.expand_as(pre), pre)
        if self.d.rescale:
            pre = pre * self.dec_norms
        return pre, None

    def activate(self, pre, gate=None):
        import torch
        zero = torch.zeros((), dtype=pre.dtype, device=pre.device)
        rule = self.d.rule
        if rule == "relu":
            return torch.clamp_min(pre, 0)
        if rule == "jumprelu":
            return torch.where((pre > self.threshold) & (pre > 0), pre, zero)
        if rule == "batchtopk":
            return torch.where((pre > self.batch_threshold) & (pre > 0), pre, zero)
        if rule == "gated":
            return torch.where(gate > 0, torch.clamp_min(pre, 0), zero)
        # topk: the k largest, ties to the lower index, then only the positive ones.
        k = min(self.d.k, self.d.d_sae)
        kth = torch.topk(pre, k, dim=1).values[:, -1:]
        above = pre > kth
        tied = pre == kth
        room = k - above.sum(dim=1, keepdim=True)
        keep = above | (tied & (tied.long().cumsum(dim=1) <= room))
        return torch.where(keep & (pre > 0), pre, zero)

    def encode(self, x):
        """x float32 [n, d_in] on the device -> dict of pre, acts, u_norm, u_dot_bdec, bdec_norm."""
        import torch
        u = self.prepare(x)
        pre, gate = self.pre(u)
        acts = self.activate(pre, gate)
        u_dot = (u @ self.b_dec) if self.d.apply_b_dec else torch.zeros(x.shape[0], device=x.device)
        return {"pre": pre, "gate": gate, "acts": acts, "u_norm": torch.linalg.vector_norm(u, dim=1),
                "u_dot_bdec": u_dot, "bdec_norm": torch.linalg.vector_norm(x - self.b_dec, dim=1)}
