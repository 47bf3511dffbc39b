"""TransformerLens hook names mapped to Hugging Face modules (docs/BRIDGE.md has the table and its caveats).

A hook is "the input of module M" or "the output of module M" of the Hugging Face model, optionally
sliced to one attention head and optionally centred (TransformerLens's center_writing_weights).
Module paths in the tables are relative to the model's base transformer (`model.base_model`), so the
same table serves GPT2Model and GPT2LMHeadModel.
"""
import re
from dataclasses import dataclass
from typing import Optional

from .errors import BridgeError


def _gated_mlp_decoder(embed, attn_out, mlp_in, mlp_out):
    """The table of a Llama-style model: decoder layers at layers.{L} with self_attn.o_proj and a gated MLP
    (gate_proj, up_proj, down_proj). `embed` is hook_embed's (module, "input"|"output"); hook_attn_out and
    hook_mlp_out are the outputs of `attn_out` and `mlp_out`, hook_resid_mid and hook_mlp_in the input of `mlp_in`."""
    return {
        "hook_embed": embed,
        "blocks.{L}.hook_resid_pre": ("layers.{L}", "input"),
        "blocks.{L}.attn.hook_z": ("layers.{L}.self_attn.o_proj", "input"),
        "blocks.{L}.hook_attn_out": (attn_out, "output"),
        "blocks.{L}.hook_resid_mid": (mlp_in, "input"),
        "blocks.{L}.hook_mlp_in": (mlp_in, "input"),
        "blocks.{L}.mlp.hook_pre": ("layers.{L}.mlp.gate_proj", "output"),
        "blocks.{L}.mlp.hook_pre_linear": ("layers.{L}.mlp.up_proj", "output"),
        "blocks.{L}.mlp.hook_post": ("layers.{L}.mlp.down_proj", "input"),
        "blocks.{L}.hook_mlp_out": (mlp_out, "output"),
        "blocks.{L}.hook_resid_post": ("layers.{L}", "output"),
    }


# family -> {TransformerLens name with {L} for the layer: (module path relative to the base model, "input"|"output")}
TABLES = {
    "gpt2": {
        "hook_embed": ("wte", "output"),
        "hook_pos_embed": ("wpe", "output"),
        "blocks.{L}.hook_resid_pre": ("h.{L}", "input"),
        "blocks.{L}.ln1.hook_normalized": ("h.{L}.ln_1", "output"),
        "blocks.{L}.attn.hook_z": ("h.{L}.attn.c_proj", "input"),
        "blocks.{L}.hook_attn_out": ("h.{L}.attn", "output"),
        "blocks.{L}.hook_resid_mid": ("h.{L}.ln_2", "input"),
        "blocks.{L}.hook_mlp_in": ("h.{L}.ln_2", "input"),
        "blocks.{L}.ln2.hook_normalized": ("h.{L}.ln_2", "output"),
        "blocks.{L}.mlp.hook_pre": ("h.{L}.mlp.c_fc", "output"),
        "blocks.{L}.mlp.hook_post": ("h.{L}.mlp.c_proj", "input"),
        "blocks.{L}.hook_mlp_out": ("h.{L}.mlp", "output"),
        "blocks.{L}.hook_resid_post": ("h.{L}", "output"),
        "ln_final.hook_normalized": ("ln_f", "output"),
    },
    "llama": _gated_mlp_decoder(
        embed=("embed_tokens", "output"),
        attn_out="layers.{L}.self_attn",
        mlp_in="layers.{L}.post_attention_layernorm",
        mlp_out="layers.{L}.mlp",
    ),
    # TransformerLens folds Gemma's sqrt(d_model) embedding scale into W_E; HF applies it after
    # embed_tokens, so the scaled embedding is what the first layer receives. Gemma 2 also norms the
    # outputs of attention and of the MLP before they join the residual stream.
    "gemma2": _gated_mlp_decoder(
        embed=("layers.0", "input"),
        attn_out="layers.{L}.post_attention_layernorm",
        mlp_in="layers.{L}.pre_feedforward_layernorm",
        mlp_out="layers.{L}.post_feedforward_layernorm",
    ),
    "bert": {
        "blocks.{L}.hook_resid_pre": ("encoder.layer.{L}", "input"),
        "blocks.{L}.attn.hook_z": ("encoder.layer.{L}.attention.output.dense", "input"),
        "blocks.{L}.hook_attn_out": ("encoder.layer.{L}.attention.output.dense", "output"),
        "blocks.{L}.hook_resid_mid": ("encoder.layer.{L}.attention.output.LayerNorm", "input"),
        "blocks.{L}.hook_mlp_in": ("encoder.layer.{L}.attention.output.LayerNorm", "input"),
        "blocks.{L}.ln1.hook_normalized": ("encoder.layer.{L}.attention.output.LayerNorm", "output"),
        "blocks.{L}.mlp.hook_pre": ("encoder.layer.{L}.intermediate.dense", "output"),
        "blocks.{L}.mlp.hook_post": ("encoder.layer.{L}.output.dense", "input"),
        "blocks.{L}.hook_mlp_out": ("encoder.layer.{L}.output.dense", "output"),
        "blocks.{L}.hook_resid_post": ("encoder.layer.{L}.output.LayerNorm", "input"),
        "blocks.{L}.ln2.hook_normalized": ("encoder.layer.{L}.output.LayerNorm", "output"),
        "blocks.{L}.hook_normalized_resid_post": ("encoder.layer.{L}.output.LayerNorm", "output"),
    },
}

# Hooks whose value TransformerLens's center_writing_weights changes (LayerNorm models only): every
# write into the residual stream loses its mean over d_model, so these lose theirs.
CENTRED = {"hook_embed", "hook_pos_embed", "hook_resid_pre", "hook_resid_mid", "hook_mlp_in", "hook_resid_post",
           "hook_attn_out", "hook_mlp_out"}

FAMILY_OF_MODEL_TYPE = {"gpt2": "gpt2", "llama": "llama", "gemma2": "gemma2", "bert": "bert"}


@dataclass
class HookSpec:
    name: str                 # as the user or the SAE named it
    module: str               # dotted path in the loaded model
    where: str                # "input" or "output"
    head_index: Optional[int] = None
    head_dim: Optional[int] = None
    centre: bool = False      # subtract the mean over the last axis (center_writing_weights)
    tl_name: Optional[str] = None

    def describe(self) -> str:
        s = f"{self.where} of {self.module}"
        if self.head_index is not None:
            s += f", head {self.head_index}"
        if self.centre:
            s += ", centred"
        return s


def family(config) -> Optional[str]:
    return FAMILY_OF_MODEL_TYPE.get(getattr(config, "model_type", None))


def n_layers(config) -> int:
    for key in ("num_hidden_layers", "n_layer"):
        v = getattr(config, key, None)
        if isinstance(v, int):
            return v
    return 0


def valid_names(fam: str, layers: int) -> str:
    names = sorted(TABLES[fam], key=lambda n: (n.startswith("blocks."), n))
    return ", ".join(names) + f" (L = 0..{layers - 1})"


def base_prefix(model) -> str:
    base = getattr(model, "base_model", model)
    if base is model:
        return ""
    for name, mod in model.named_modules():
        if mod is base:
            return name + "."
    return ""


def resolve(model, name: str, head_index: Optional[int] = None, centre: bool = False,
            module_output_names: bool = False) -> HookSpec:
    """Maps a hook name to a HookSpec.

    Accepted: a TransformerLens name of the model's family; `MODULE.input` / `MODULE.output`;
    with module_output_names (SAELens HookedProxyLM, model_class_name AutoModelForCausalLM) a bare
    module path, meaning its output.
    """
    config = model.config
    fam = family(config)
    modules = dict(model.named_modules())
    prefix = base_prefix(model)
    layers = n_layers(config)

    def find(path: str) -> Optional[str]:
        for p in (path, prefix + path):
            if p in modules and p != "":
                return p
        return None

    spec = None
    if fam is not None:
        key, layer = name, None
        m = re.fullmatch(r"blocks\.(\d+)\.(.+)", name)
        if m:
            layer = int(m.group(1))
            key = "blocks.{L}." + m.group(2)
        if key in TABLES[fam]:
            if layer is not None and not (0 <= layer < layers):
                raise BridgeError(f"hook {name}: layer {layer} does not exist; {config.model_type} has layers 0..{layers - 1}")
            path, where = TABLES[fam][key]
            path = path.replace("{L}", str(layer)) if layer is not None else path
            mod = find(path)
            if mod is None:
                raise BridgeError(f"hook {name}: module {path} is missing from this {config.model_type} model")
            short = key.split(".")[-1]
            spec = HookSpec(name=name, module=mod, where=where, tl_name=name,
                            centre=centre and short in CENTRED and fam == "gpt2")
    if spec is None:
        m = re.fullmatch(r"(.+)\.(input|output)", name)
        if m and find(m.group(1)):
            spec = HookSpec(name=name, module=find(m.group(1)), where=m.group(2))
        elif module_output_names and find(name):
            spec = HookSpec(name=name, module=find(name), where="output")
    if spec is None:
        if fam is None:
            raise BridgeError(f"hook {name}: {getattr(config, 'model_type', '?')} has no TransformerLens name table here; "
                              f"name a module as MODULE.input or MODULE.output (e.g. {next(iter(n for n in modules if n), '?')}.output)")
        raise BridgeError(f"hook {name} is not a hook of {config.model_type}; valid: {valid_names(fam, layers)}; "
                          "or MODULE.input / MODULE.output")
    if head_index is not None:
        if not (spec.tl_name or "").endswith("attn.hook_z"):
            raise BridgeError(f"hook {name}: a head index ({head_index}) applies only to blocks.L.attn.hook_z")
        heads = getattr(config, "num_attention_heads", None) or getattr(config, "n_head", None)
        hidden = getattr(config, "hidden_size", None) or getattr(config, "n_embd", None)
        head_dim = getattr(config, "head_dim", None) or (hidden // heads if heads and hidden else None)
        if heads is None or head_dim is None or not (0 <= head_index < heads):
            raise BridgeError(f"hook {name}: head index {head_index} is outside 0..{(heads or 1) - 1}")
        spec.head_index, spec.head_dim = head_index, head_dim
    return spec


class StopForward(Exception):
    """Raised by a capture hook once it has its tensor, so the rest of the forward pass is skipped."""


def _tensor_of(value):
    import torch
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)) and value and isinstance(value[0], torch.Tensor):
        return value[0]
    if hasattr(value, "to_tuple"):
        return _tensor_of(value.to_tuple())
    return None


class Capture:
    """Records one hook's tensor during a forward pass."""

    def __init__(self, model, spec: HookSpec, stop: bool = True):
        self.spec = spec
        self.stop = stop
        self.value = None
        mod = dict(model.named_modules())[spec.module]
        if spec.where == "input":
            self.handle = mod.register_forward_pre_hook(self._pre, with_kwargs=True)
        else:
            self.handle = mod.register_forward_hook(self._post)

    def _take(self, t):
        if t is None:
            raise BridgeError(f"hook {self.spec.name}: the {self.spec.where} of {self.spec.module} is not a tensor")
        t = t.detach()
        if self.spec.head_index is not None:
            h, d = self.spec.head_index, self.spec.head_dim
            t = t[..., h * d:(h + 1) * d]
        if self.spec.centre:
            t = t - t.mean(dim=-1, keepdim=True)
        self.value = t
        if self.stop:
            raise StopForward()

    def _pre(self, _mod, args, kwargs):
        t = _tensor_of(args) if args else None
        if t is None:
            t = kwargs.get("hidden_states")
            if t is None:
                t = next((v for v in kwargs.values() if _tensor_of(v) is not None), None)
            t = _tensor_of(t) if t is not None else None
        self._take(t)

    def _post(self, _mod, _args, out):
        self._take(_tensor_of(out))

    def remove(self):
        self.handle.remove()
