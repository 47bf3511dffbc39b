"""What an SAE was trained on, from its SAELens cfg.json (v6 `metadata` object or the v5 flat config)."""
import json
import os
from dataclasses import dataclass
from typing import Optional

from .errors import BridgeError


@dataclass
class TrainedOn:
    path: str
    model_name: Optional[str]
    hook_name: Optional[str]
    hook_head_index: Optional[int]
    context_size: Optional[int]
    prepend_bos: Optional[bool]
    model_class_name: Optional[str]
    model_from_pretrained_kwargs: dict


def read(path: str) -> TrainedOn:
    cfg_path = path if path.endswith(".json") else os.path.join(path, "cfg.json")
    if not os.path.isfile(cfg_path):
        raise BridgeError(f"--sae {path}: no cfg.json there (SAELens folders have one; sparsify and Gemma Scope folders "
                          "do not name their hook: give --hook-name)")
    try:
        with open(cfg_path, encoding="utf-8") as f:
            cfg = json.load(f)
    except (OSError, ValueError) as e:
        raise BridgeError(f"--sae {cfg_path}: cannot be read as JSON ({e.__class__.__name__})")
    if not isinstance(cfg, dict):
        raise BridgeError(f"--sae {cfg_path}: must be a JSON object")
    meta = cfg.get("metadata") if isinstance(cfg.get("metadata"), dict) else cfg   # v6 vs v5 flat
    hook = meta.get("hook_name", meta.get("hook_point"))
    head = meta.get("hook_head_index", meta.get("hook_point_head_index"))
    ctx = meta.get("context_size")
    bos = meta.get("prepend_bos")
    kwargs = meta.get("model_from_pretrained_kwargs") or {}
    for key, value, ok in (("hook_name", hook, isinstance(hook, str) and hook),
                           ("hook_head_index", head, head is None or (isinstance(head, int) and not isinstance(head, bool))),
                           ("context_size", ctx, ctx is None or (isinstance(ctx, int) and not isinstance(ctx, bool) and ctx > 0)),
                           ("prepend_bos", bos, bos is None or isinstance(bos, bool)),
                           ("model_from_pretrained_kwargs", kwargs, isinstance(kwargs, dict))):
        if not ok:
            where = "metadata." if meta is not cfg else ""
            raise BridgeError(f"--sae {cfg_path}: key \"{where}{key}\" is {json.dumps(value)}; "
                              + ("the SAE does not say which hook it reads: give --hook-name" if key == "hook_name" else "fix cfg.json"))
    return TrainedOn(path=cfg_path, model_name=meta.get("model_name"), hook_name=hook, hook_head_index=head, context_size=ctx,
                     prepend_bos=bos, model_class_name=meta.get("model_class_name"), model_from_pretrained_kwargs=kwargs)


def agree(saes) -> TrainedOn:
    """The common training setup of several SAEs; refuses when they disagree on the hook or the model."""
    first = saes[0]
    for other in saes[1:]:
        for key in ("hook_name", "hook_head_index", "model_name"):
            a, b = getattr(first, key), getattr(other, key)
            if a != b:
                raise BridgeError(f"--sae: {first.path} has {key} {json.dumps(a)} but {other.path} has {json.dumps(b)}; "
                                  "dump each SAE's activations separately")
    return first
