"""Loading a Hugging Face model and tokenizer, and running one batch up to a hook."""
import os
from typing import Optional

from .errors import BridgeError
from .hooks import Capture, StopForward

TORCH_DTYPES = {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}
DECODER_TYPES = {"gpt2", "llama", "gemma", "gemma2", "gemma3_text", "mistral", "qwen2", "qwen3", "phi3", "gpt_neox"}


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def is_decoder_lm(config) -> bool:
    archs = getattr(config, "architectures", None) or []
    if any(a.endswith("ForCausalLM") or a.endswith("LMHeadModel") for a in archs):
        return True
    return getattr(config, "model_type", "") in DECODER_TYPES


def load(model_name: str, model_dtype: str = "f32", device: str = "cpu"):
    """Returns (model, tokenizer); failures are one-line BridgeErrors."""
    import torch
    from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    if device == "cuda" and not torch.cuda.is_available():
        raise BridgeError("--device cuda: torch sees no CUDA device here")
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise BridgeError("--device mps: torch sees no MPS device here")
    looks_local = model_name.startswith((".", "/", "~")) or model_name.count("/") > 1
    if not os.path.isdir(model_name) and looks_local:
        raise BridgeError(f"--model {model_name}: no such folder; give a model folder (config.json, weights, tokenizer) "
                          "or a Hugging Face model name")
    where = f"{model_name}" + ("" if os.path.isdir(model_name) else " (not a local folder; loading from the Hugging Face cache or hub)")
    try:
        config = AutoConfig.from_pretrained(model_name)
    except Exception as e:  # transformers raises OSError, ValueError, ... for a missing or broken model
        raise BridgeError(f"--model {where}: cannot load its config: {_one_line(e)}")
    try:
        tok = AutoTokenizer.from_pretrained(model_name)
    except Exception as e:
        raise BridgeError(f"--model {model_name}: cannot load its tokenizer: {_one_line(e)}")
    cls = AutoModelForCausalLM if is_decoder_lm(config) else AutoModel
    try:
        model = cls.from_pretrained(model_name, dtype=getattr(torch, TORCH_DTYPES[model_dtype]))
    except Exception as e:
        raise BridgeError(f"--model {model_name}: cannot load the model: {_one_line(e)}")
    model.eval()
    try:
        model.to(device)
    except Exception as e:
        raise BridgeError(f"--device {device}: cannot move the model there: {_one_line(e)}")
    return model, tok


def vocab_size(model) -> int:
    emb = model.get_input_embeddings()
    return int(emb.num_embeddings if hasattr(emb, "num_embeddings") else emb.weight.shape[0])


def run_to_hook(model, capture: Capture, ids, mask):
    """Runs `model` on ids/mask (torch [B, T]) and returns the captured tensor [B, T, D] (float32)."""
    import torch
    position_ids = (mask.long().cumsum(-1) - 1).clamp(min=0)
    capture.value = None
    try:
        with torch.inference_mode():
            extra = {"use_cache": False} if is_decoder_lm(model.config) else {}
            model(input_ids=ids, attention_mask=mask, position_ids=position_ids, **extra)
    except StopForward:
        pass
    if capture.value is None:
        raise BridgeError(f"hook {capture.spec.name}: module {capture.spec.module} did not run in the forward pass")
    v = capture.value
    if v.dim() == 3 and v.shape[0] == 1 and ids.shape[0] > 1:   # e.g. position embeddings shared by the batch
        v = v.expand(ids.shape[0], *v.shape[1:])
    if v.dim() != 3 or v.shape[0] != ids.shape[0] or v.shape[1] != ids.shape[1]:
        raise BridgeError(f"hook {capture.spec.name}: the {capture.spec.describe()} has shape {list(v.shape)}, "
                          f"expected [batch, positions, width]")
    return v.float()


def special_tokens(tok):
    """The ids the tokenizer puts before and after a text when it adds special tokens."""
    plain = tok("a", add_special_tokens=False)["input_ids"]
    full = tok("a", add_special_tokens=True)["input_ids"]
    for i in range(len(full) - len(plain) + 1):
        if full[i:i + len(plain)] == plain:
            return list(full[:i]), list(full[i + len(plain):])
    return [], []


def backend_tokenizer(tok):
    """The tokenizers.Tokenizer behind a fast tokenizer, with padding and truncation switched off
    (some tokenizer.json files ship with both on), or None for a slow tokenizer."""
    bt = getattr(tok, "backend_tokenizer", None)
    if bt is None:
        return None
    from tokenizers import Tokenizer
    bt = Tokenizer.from_str(bt.to_str())
    bt.no_padding()
    bt.no_truncation()
    return bt


def save_tokenizer(tok, path: str):
    from .output import atomic_path
    with atomic_path(path) as tmp:
        if getattr(tok, "backend_tokenizer", None) is not None:
            tok.backend_tokenizer.save(tmp)
        else:
            import json
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({str(i): t for t, i in tok.get_vocab().items()}, f)


def pad_id(tok) -> int:
    p: Optional[int] = tok.pad_token_id
    return int(p) if p is not None else 0
