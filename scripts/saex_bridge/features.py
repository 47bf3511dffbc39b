"""OUT.features.safetensors: the sparse feature activations of one shard (docs/FORMATS.md,
"Sparse feature activations")."""
import json
import math
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field

import numpy as np

from . import PRODUCER
from .dictionaries import Dictionary, TorchEncoder
from .errors import BridgeError

NAME_RE = re.compile(r"[A-Za-z0-9_-]+")


def saex_fingerprint(path: str, saex: str) -> str:
    """The dictionary's saex fingerprint from `saex inspect`, or "" when no saex binary is at hand."""
    if not saex:
        return ""
    try:
        r = subprocess.run([saex, "inspect", path, "--format", "json"], capture_output=True, text=True, timeout=600)
        return json.loads(r.stdout).get("fingerprint", "") if r.returncode == 0 else ""
    except (OSError, ValueError, subprocess.SubprocessError):
        return ""


def find_saex(explicit: str, repo_root: str) -> str:
    if explicit:
        return explicit
    for cand in (f"{repo_root}/.build/release/saex", f"{repo_root}/.build/debug/saex", shutil.which("saex") or ""):
        if cand and os.access(cand, os.X_OK):
            return cand
    return ""


@dataclass
class Encoding:
    name: str
    dictionary: Dictionary
    encoder: TorchEncoder
    fingerprint: str = ""


@dataclass
class ShardFeatures:
    """Accumulates one shard's CSR parts, batch by batch."""
    rows: int = 0
    parts: dict = field(default_factory=dict)

    def add(self, name, row_counts, features, values, pre, u_norm, u_dot, bdec_norm):
        p = self.parts.setdefault(name, {"counts": [], "features": [], "values": [], "pre": [], "u_norm": [], "u_dot_bdec": [],
                                         "bdec_norms": []})
        p["counts"].append(row_counts)
        p["features"].append(features)
        p["values"].append(values)
        p["pre"].append(pre)
        p["u_norm"].append(u_norm)
        p["u_dot_bdec"].append(u_dot)
        p["bdec_norms"].append(bdec_norm)


def encode_rows(enc: Encoding, x, real_mask, chunk_rows: int):
    """Encodes the real rows of x (float32 [R, D] on the device).

    Returns per-row counts (int64 [R], 0 on padding), features (int32, ascending in each row),
    values, pre, and the per-row u_norm / u_dot_bdec / bdec_norm (0 on padding), all on the CPU."""
    import torch
    R = x.shape[0]
    idx = real_mask.nonzero().reshape(-1)
    counts = torch.zeros(R, dtype=torch.int64)
    u_norm, u_dot, bdec = (torch.zeros(R, dtype=torch.float32) for _ in range(3))
    feats, vals, pres = [], [], []
    for s in range(0, idx.numel(), chunk_rows):
        rows = idx[s:s + chunk_rows]
        out = enc.encoder.encode(x[rows])
        nz = out["acts"].nonzero()
        r_local, f = nz[:, 0], nz[:, 1]
        feats.append(f.to(torch.int32).cpu())
        vals.append(out["acts"][r_local, f].cpu())
        pres.append(out["pre"][r_local, f].cpu())
        rows_cpu = rows.cpu()
        counts[rows_cpu] = torch.bincount(r_local, minlength=rows.numel()).cpu()
        u_norm[rows_cpu] = out["u_norm"].cpu()
        u_dot[rows_cpu] = out["u_dot_bdec"].cpu()
        bdec[rows_cpu] = out["bdec_norm"].cpu()
    cat = lambda xs, dt: torch.cat(xs) if xs else torch.zeros(0, dtype=dt)  # noqa: E731
    return counts, cat(feats, torch.int32), cat(vals, torch.float32), cat(pres, torch.float32), u_norm, u_dot, bdec


def check_sample(real_rows: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Ascending indices of a seeded random sample of the real rows: ceil(fraction * n) of them, at least one."""
    n = len(real_rows)
    if n == 0:
        return np.zeros(0, np.int64)
    m = min(n, max(1, math.ceil(fraction * n - 1e-9)))
    pick = np.random.Generator(np.random.PCG64(seed)).choice(n, size=m, replace=False)
    return np.sort(real_rows[pick]).astype(np.int64)


def build_tensors(encodings, acc: ShardFeatures, tokens, norms, x_rows_f32, check_rows, meta: dict):
    """The tensors and metadata of one features file."""
    import torch
    S, L = tokens.shape
    R = S * L
    t = {"tokens": torch.from_numpy(np.ascontiguousarray(tokens, dtype=np.int32)),
         "norms": norms.to(torch.float32),
         "check.rows": torch.from_numpy(check_rows),
         "check.activations": x_rows_f32.to(torch.float32)}
    for e in encodings:
        p = acc.parts.get(e.name)
        counts = torch.cat(p["counts"]) if p else torch.zeros(R, dtype=torch.int64)
        row_ptr = torch.zeros(R + 1, dtype=torch.int64)
        row_ptr[1:] = counts.cumsum(0)
        cat = lambda k, dt: torch.cat(p[k]) if p else torch.zeros(0 if k in ("features", "values", "pre") else R, dtype=dt)  # noqa
        t[f"{e.name}.row_ptr"] = row_ptr
        t[f"{e.name}.features"] = cat("features", torch.int32)
        t[f"{e.name}.values"] = cat("values", torch.float32)
        t[f"{e.name}.pre"] = cat("pre", torch.float32)
        t[f"{e.name}.u_norm"] = cat("u_norm", torch.float32)
        t[f"{e.name}.u_dot_bdec"] = cat("u_dot_bdec", torch.float32)
        t[f"{e.name}.bdec_norms"] = cat("bdec_norms", torch.float32)
    header = {"version": 1, "rows": R, "sequences": S, "sequence_length": L, "d_in": meta["d_in"],
              "dictionaries": [{"name": e.name, "fingerprint": e.fingerprint, "path": e.dictionary.path,
                                "architecture": e.dictionary.architecture, "d_sae": e.dictionary.d_sae} for e in encodings],
              "check": {"seed": meta["seed"], "fraction": meta["fraction"], "rows": int(len(check_rows))},
              "producer": PRODUCER, "device": meta["device"], "dtype": meta["dtype"]}
    return t, {"saex_features": json.dumps(header), "saex_bridge_fingerprint": meta["fingerprint"]}


def parse_encode(spec: str):
    if "=" not in spec:
        raise BridgeError(f"--encode {spec}: expected NAME=DIR")
    name, path = spec.split("=", 1)
    if not NAME_RE.fullmatch(name):
        raise BridgeError(f"--encode {spec}: the name may hold only letters, digits, '_' and '-'")
    return name, path
