"""OUT.unembed.safetensors: W_U [d_model, d_vocab] F32 as TransformerLens orients it, and the final
norm's parameters, for saex's logit effects."""
import json

from .output import save_safetensors

# model_type -> (attribute path of the final norm in the base model, kind, weight offset)
FINAL_NORMS = {
    "gpt2": ("ln_f", "LayerNorm", 0),
    "llama": ("norm", "RMSNorm", 0),
    "gemma2": ("norm", "RMSNorm", 1),   # GemmaRMSNorm multiplies by (1 + weight)
}


def write(model, path: str, model_name: str):
    """Writes the unembedding of a decoder LM; returns False for a model without an LM head."""
    import torch
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if head is None or not hasattr(head, "weight"):
        return False
    cfg = model.config
    W = head.weight.detach().to(torch.float32).cpu()          # [d_vocab, d_model]
    tensors = {"W_U": W.t().contiguous()}
    if getattr(head, "bias", None) is not None:
        tensors["b_U"] = head.bias.detach().to(torch.float32).cpu()
    meta = {"architecture": cfg.model_type, "model_name": model_name, "d_model": str(W.shape[1]), "d_vocab": str(W.shape[0]),
            "final_norm": "none", "final_norm_weight_offset": "0",
            "tied_embeddings": json.dumps(bool(head.weight is model.get_input_embeddings().weight))}
    spec = FINAL_NORMS.get(cfg.model_type)
    if spec is not None:
        norm = getattr(model.base_model, spec[0])
        tensors["final_norm.weight"] = norm.weight.detach().to(torch.float32).cpu()
        if getattr(norm, "bias", None) is not None:
            tensors["final_norm.bias"] = norm.bias.detach().to(torch.float32).cpu()
        eps = getattr(norm, "eps", None) or getattr(norm, "variance_epsilon", None)
        meta.update({"final_norm": spec[1], "final_norm_weight_offset": str(spec[2]),
                     "final_norm_eps": repr(float(eps)) if eps is not None else ""})
    cap = getattr(cfg, "final_logit_softcapping", None)
    if cap:
        meta["final_logit_softcapping"] = repr(float(cap))
    meta["saex_unembed"] = json.dumps({"version": 1, **{k: v for k, v in meta.items()}})
    save_safetensors(path, tensors, meta)
    return True
