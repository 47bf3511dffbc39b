#!/usr/bin/env python3
"""Write an activation file for `saex cache build` from a Hugging Face model.

Runs a transformers model (in your own environment: `pip install torch transformers safetensors`)
over a text file and records the activations of one module, with the token ids, as

    OUT.safetensors:  activations [n_seq, seq_len, d_in] (F16 by default, or F32)
                      tokens      [n_seq, seq_len] I32, -1 marking padding
    OUT.tokenizer.json  the model's tokenizer (saex's --vocab)

Example (the hook the bundled demo uses; input of layer 3's output LayerNorm of MiniLM):

    python3 scripts/dump_activations.py --model sentence-transformers/all-MiniLM-L6-v2 \
        --module encoder.layer.3.output.LayerNorm --hook input --text corpus.txt \
        --seq-len 64 --max-tokens 200000 -o acts.safetensors
    saex cache build --dict std=SAE_A --dict cos=SAE_B --activations acts.safetensors \
        --vocab acts.tokenizer.json -o corpus.saexcache

--hook input records what the module receives (e.g. the residual sum a LayerNorm normalises);
--hook output records what it returns. Text: one document per line (blank lines skipped); each
document is tokenised with the model's special tokens and cut into windows of --seq-len tokens.

How this script was checked: it is not run by CI, and torch is not installable on the machines
saex is developed on (PyPI's torch wheels pull several GiB of CUDA libraries), so it has NOT been
executed end to end here. Its output format is the one fixtures/generate/demo writes with its
numpy MiniLM forward pass; to check a run, compare its activations for the demo sentences with
`python3 fixtures/generate/demo/forward.py` (they should agree to ~1e-4 relative in F32).
"""
import argparse
import json
import os
import struct
import sys


def write_safetensors(path, tensors, metadata):
    import numpy as np
    names = {np.dtype('float32'): 'F32', np.dtype('float16'): 'F16', np.dtype('int32'): 'I32'}
    header, off, blobs = {}, 0, []
    for k, a in tensors.items():
        a = np.ascontiguousarray(a)
        b = a.tobytes()
        header[k] = {'dtype': names[a.dtype], 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    header['__metadata__'] = {k: str(v) for k, v in metadata.items()}
    h = json.dumps(header).encode()
    h += b' ' * ((8 - (8 + len(h)) % 8) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--model', required=True, help='model name or local folder')
    p.add_argument('--module', required=True, help='dotted module name, e.g. encoder.layer.3.output.LayerNorm')
    p.add_argument('--hook', choices=['input', 'output'], default='output')
    p.add_argument('--text', required=True, help='text file, one document per line')
    p.add_argument('--seq-len', type=int, default=128)
    p.add_argument('--max-tokens', type=int, default=100_000)
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--dtype', choices=['f16', 'f32'], default='f16')
    p.add_argument('-o', '--output', required=True)
    a = p.parse_args()

    try:
        import numpy as np
        import torch
        from transformers import AutoModel, AutoTokenizer
    except ImportError as e:
        sys.exit(f'dump_activations.py: {e.name} is not installed; pip install torch transformers numpy')

    tok = AutoTokenizer.from_pretrained(a.model)
    model = AutoModel.from_pretrained(a.model).eval()
    modules = dict(model.named_modules())
    if a.module not in modules:
        near = [n for n in modules if a.module.split('.')[-1] in n][:10]
        sys.exit(f'dump_activations.py: {a.model} has no module "{a.module}"; similar: {", ".join(near)}')
    captured = {}

    def hook(_mod, args, out):
        t = args[0] if a.hook == 'input' else (out[0] if isinstance(out, tuple) else out)
        captured['x'] = t.detach()

    handle = modules[a.module].register_forward_hook(hook)

    windows = []
    with open(a.text, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            ids = tok(line, add_special_tokens=True)['input_ids']
            for s in range(0, len(ids), a.seq_len):
                windows.append(ids[s:s + a.seq_len])
            if sum(len(w) for w in windows) >= a.max_tokens:
                break
    if not windows:
        sys.exit(f'dump_activations.py: {a.text} holds no text')

    acts, toks = [], []
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    with torch.no_grad():
        for b in range(0, len(windows), a.batch_size):
            batch = windows[b:b + a.batch_size]
            ids = torch.full((len(batch), a.seq_len), pad, dtype=torch.long)
            mask = torch.zeros((len(batch), a.seq_len), dtype=torch.long)
            for i, w in enumerate(batch):
                ids[i, :len(w)] = torch.tensor(w)
                mask[i, :len(w)] = 1
            model(input_ids=ids, attention_mask=mask)
            x = captured['x'].float().numpy()
            t = ids.numpy().astype(np.int32)
            t[mask.numpy() == 0] = -1
            x[mask.numpy() == 0] = 0
            acts.append(x.astype(np.float16 if a.dtype == 'f16' else np.float32))
            toks.append(t)
    handle.remove()
    acts = np.concatenate(acts)
    toks = np.concatenate(toks)
    write_safetensors(a.output, {'activations': acts, 'tokens': toks},
                      {'model_name': a.model, 'hook_name': f'{a.module}.{a.hook}', 'text': a.text})
    tok_path = os.path.splitext(a.output)[0] + '.tokenizer.json'
    if getattr(tok, 'backend_tokenizer', None) is not None:
        tok.backend_tokenizer.save(tok_path)
    else:
        vocab = tok.get_vocab()
        with open(tok_path, 'w', encoding='utf-8') as f:
            json.dump({str(i): t for t, i in vocab.items()}, f)
    print(f'wrote {a.output}: activations {list(acts.shape)}, {int((toks >= 0).sum())} tokens; vocabulary {tok_path}', file=sys.stderr)


if __name__ == '__main__':
    main()
