#!/usr/bin/env python3
"""Write activation files for `saex cache build` from a Hugging Face model (docs/BRIDGE.md).

Runs a transformers model over a text file (one document per line) or a pre-tokenised array and
records one hook, named the TransformerLens/SAELens way (`--hook-name blocks.8.hook_resid_pre`), as
a module's input or output (`--module M --hook input|output`), or as an SAE's cfg.json says
(`--sae DIR`, repeatable). Writes

    OUT.safetensors            activations [n_seq, seq_len, d_in] (F16 by default; --dtype f32|bf16),
                               tokens [n_seq, seq_len] I32 with -1 marking padding
                               (--shard-tokens N: OUT-00000.safetensors, ... of at most N token
                               slots each, resumable; OUT.manifest.json records the arguments)
    OUT.tokenizer.json         the model's tokenizer (saex's --vocab)
    OUT.unembed.safetensors    decoder LMs: W_U [d_model, d_vocab] F32 and the final norm
    OUT.features.safetensors   with --encode NAME=DIR: sparse feature activations, encoded in torch
                               on --device (one per shard)

Example (the hook the bundled demo uses):

    VENV=$(scripts/bridge_env.sh)
    "$VENV/bin/python" scripts/dump_activations.py --model PATH/all-MiniLM-L6-v2 \\
        --hook-name blocks.3.hook_resid_post --text corpus.txt --seq-len 64 -o acts.safetensors
    saex cache build --dict std=SAE_A --dict cos=SAE_B --activations acts.safetensors \\
        --vocab acts.tokenizer.json -o corpus.saexcache

How it is checked: `./scripts/test.sh` runs scripts/test_bridge.sh, which makes the pinned venv
(scripts/bridge_env.sh) and runs scripts/bridge_tests with pytest: MiniLM activations against the
numpy forward pass of fixtures/generate/demo/forward.py (1e-4 relative), every hook name on small
randomly initialised GPT-2, Llama, Gemma 2 and BERT models against output_hidden_states and forward
hooks, --sae/--tokens/sharding/resume/unembed/bad input, the torch encoder against `saex encode` for
every dictionary in fixtures/loaders, and text -> bridge -> `saex cache build` -> `saex contexts`
against a numpy encode.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from saex_bridge.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
