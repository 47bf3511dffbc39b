"""The command line of scripts/dump_activations.py (docs/BRIDGE.md)."""
import argparse
import os
import sys
import time

from . import PRODUCER, VERSION
from .errors import BridgeError

PROG = "dump_activations.py"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of argparse's usage block
        raise BridgeError(f"{message} (see --help)")


def note(msg: str):
    print(f"{PROG}: {msg}", file=sys.stderr)


def parse(argv):
    p = _Parser(prog=PROG, description="Record a Hugging Face model's activations at one hook for saex (docs/BRIDGE.md).")
    p.add_argument("--model", help="model folder or Hugging Face name (default: the --sae config's model_name)")
    p.add_argument("--hook-name", help="TransformerLens/SAELens hook name (blocks.8.hook_resid_pre, ...) or MODULE.input / MODULE.output")
    p.add_argument("--module", help="dotted module name, e.g. encoder.layer.3.output.LayerNorm (with --hook)")
    p.add_argument("--hook", choices=["input", "output"], default="output", help="with --module: its input or its output")
    p.add_argument("--sae", action="append", default=[], metavar="DIR",
                   help="SAELens folder: dump what it was trained on (model, hook, head, context size, BOS); repeatable")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--text", help="text file, one document per line")
    src.add_argument("--tokens", help="pre-tokenised [sequences, positions] int32/int64 .npy or .safetensors, -1 = padding")
    p.add_argument("--seq-len", type=int, help="tokens per sequence for --text (default: the SAE's context_size, else 128)")
    p.add_argument("--prepend-bos", choices=["auto", "yes", "no"], default="auto",
                   help="decoder LMs with --text: start every sequence with BOS (auto: the SAE's prepend_bos, else the tokenizer's habit)")
    p.add_argument("--max-tokens", type=int, default=100_000, help="at most this many real tokens, in whole sequences")
    p.add_argument("--batch-size", type=int, default=16, help="sequences per forward pass")
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f16", help="stored activations (f32 keeps float32)")
    p.add_argument("--model-dtype", choices=["f32", "f16", "bf16"], default="f32", help="dtype the model runs in")
    p.add_argument("--device", choices=["cpu", "cuda", "mps"], default="cpu")
    p.add_argument("--shard-tokens", type=int, help="write OUT-00000.safetensors, ... of at most N token slots each, resumable")
    p.add_argument("--encode", action="append", default=[], metavar="NAME=DIR",
                   help="also encode with this dictionary in torch and write OUT.features.safetensors; repeatable")
    p.add_argument("--check-fraction", type=float, default=0.01, help="fraction of real tokens kept raw for saex's CPU cross-check")
    p.add_argument("--check-seed", type=int, default=0, help="seed of the cross-check sample (shard i uses seed + i)")
    p.add_argument("--center-writing-weights", action="store_true",
                   help="GPT-2: centre residual-stream hooks as TransformerLens's center_writing_weights does")
    p.add_argument("--saex", default="", help="saex binary, for dictionary fingerprints in the features file (default: found)")
    p.add_argument("-o", "--output", required=True, help="OUT.safetensors (sharded: OUT-00000.safetensors, ...)")
    p.add_argument("--version", action="version", version=PRODUCER)
    a = p.parse_args(argv)
    if not (a.text or a.tokens):
        raise BridgeError("give --text FILE or --tokens FILE (see --help)")
    if a.module and a.hook_name:
        raise BridgeError("give either --module (with --hook) or --hook-name, not both")
    if not (a.module or a.hook_name or a.sae):
        raise BridgeError("say where to record: --hook-name NAME, --module NAME --hook input|output, or --sae DIR")
    for flag, v, lo in (("--max-tokens", a.max_tokens, 1), ("--batch-size", a.batch_size, 1), ("--seq-len", a.seq_len, 1),
                        ("--shard-tokens", a.shard_tokens, 1)):
        if v is not None and v < lo:
            raise BridgeError(f"{flag} must be at least {lo}")
    if not (0.01 <= a.check_fraction <= 1):
        raise BridgeError("--check-fraction must lie in [0.01, 1]")
    out_dir = os.path.dirname(os.path.abspath(a.output))
    if not os.path.isdir(out_dir):
        raise BridgeError(f"-o {a.output}: the folder {out_dir} does not exist")
    return a


def main(argv=None) -> int:
    from .output import remove_live_temps
    try:
        run(parse(sys.argv[1:] if argv is None else argv))
        return 0
    except BridgeError as e:
        remove_live_temps()
        print(f"{PROG}: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        remove_live_temps()
        print(f"{PROG}: interrupted; finished shards are kept, re-run the same command to resume", file=sys.stderr)
        return 130
    except MemoryError:
        remove_live_temps()
        print(f"{PROG}: out of memory; lower --batch-size or --shard-tokens", file=sys.stderr)
        return 1
    except OSError as e:   # a full disk, an unwritable folder, ...
        remove_live_temps()
        print(f"{PROG}: {e.filename or 'I/O'}: {e.strerror or e}", file=sys.stderr)
        return 1
    except RuntimeError as e:
        remove_live_temps()
        text = str(e)
        if "out of memory" in text or "can't allocate memory" in text:
            print(f"{PROG}: out of memory on the device; lower --batch-size or --shard-tokens", file=sys.stderr)
            return 1
        raise


def run(a):
    import numpy as np
    import torch
    from . import dictionaries, features, hooks, inputs, models, output, saecfg, unembed

    t0 = time.time()
    trained = saecfg.agree([saecfg.read(s) for s in a.sae]) if a.sae else None
    model_name = a.model or (trained.model_name if trained else None)
    if not model_name:
        raise BridgeError("--model is required (the --sae config names no model_name)")
    if a.model and trained and trained.model_name and trained.model_name != a.model:
        note(f"the SAE was trained on {trained.model_name}; running --model {a.model} as given")

    hook_name = a.hook_name
    if trained:
        if hook_name and hook_name != trained.hook_name:
            raise BridgeError(f"--hook-name {hook_name} disagrees with the SAE's hook_name {trained.hook_name} ({trained.path})")
        hook_name = trained.hook_name
        if a.module:
            raise BridgeError("--module cannot be combined with --sae (the SAE names its hook)")
    kwargs = trained.model_from_pretrained_kwargs if trained else {}
    centre = a.center_writing_weights or bool(kwargs.get("center_writing_weights"))
    folds_v = kwargs.get("fold_value_biases") or kwargs.get("refactor_factored_attn_matrices")
    if hook_name and hook_name.endswith("attn.hook_z") and folds_v:
        raise BridgeError(f"--sae {trained.path}: model_from_pretrained_kwargs folds value biases or refactors W_V/W_O, which "
                          "changes hook_z; the bridge records the unprocessed model")

    model, tok = models.load(model_name, a.model_dtype, a.device)
    fam = hooks.family(model.config)
    if centre and fam != "gpt2":
        if fam == "bert":
            raise BridgeError("--center-writing-weights: TransformerLens's HookedEncoder (BERT) has no such processing")
        note(f"center_writing_weights: TransformerLens skips it for RMSNorm models ({model.config.model_type}); recording uncentred")
        centre = False
    if a.module:
        modules = dict(model.named_modules())
        mod = a.module if a.module in modules else hooks.base_prefix(model) + a.module
        if mod not in modules or not a.module:
            near = [n for n in modules if n and a.module.split(".")[-1] in n][:8]
            raise BridgeError(f"--module {a.module}: {model_name} has no such module; similar: {', '.join(near) or 'none'}")
        spec = hooks.HookSpec(name=f"{a.module}.{a.hook}", module=mod, where=a.hook)
    else:
        spec = hooks.resolve(model, hook_name, head_index=trained.hook_head_index if trained else None, centre=centre,
                             module_output_names=bool(trained and trained.model_class_name == "AutoModelForCausalLM"))
    decoder = models.is_decoder_lm(model.config)
    vocab = models.vocab_size(model)

    # Where the sequences come from.
    if a.tokens:
        source = inputs.TokensSource(a.tokens, vocab)
        seq_len = source.seq_len
        if trained and trained.context_size and trained.context_size != seq_len:
            note(f"the SAE was trained on {trained.context_size}-token contexts; {a.tokens} has rows of {seq_len}")
        if a.seq_len and a.seq_len != seq_len:
            note(f"--seq-len {a.seq_len} is ignored: the rows of {a.tokens} have {seq_len} positions")
        prefix, suffix = [], []
        bos_used = None
    else:
        seq_len = a.seq_len or (trained.context_size if trained and trained.context_size else 128)
        if a.seq_len and trained and trained.context_size and a.seq_len != trained.context_size:
            note(f"--seq-len {a.seq_len} differs from the SAE's context_size {trained.context_size}")
        prefix, suffix = models.special_tokens(tok)
        want = {"yes": True, "no": False}.get(a.prepend_bos, trained.prepend_bos if trained else None)
        if trained and trained.prepend_bos is not None and a.prepend_bos != "auto" and want != trained.prepend_bos:
            note(f"--prepend-bos {a.prepend_bos} differs from the SAE's prepend_bos {str(trained.prepend_bos).lower()}")
        if decoder and want is True and not prefix:
            if tok.bos_token_id is None:
                raise BridgeError(f"--prepend-bos: the tokenizer of {model_name} has no BOS token")
            prefix = [int(tok.bos_token_id)]
        elif decoder and want is False:
            prefix = []
        elif not decoder and want is False:
            note("encoder models keep their special tokens ([CLS] ... [SEP]); prepend_bos = false is ignored")
        bos_used = bool(prefix)
        source = inputs.TextSource(a.text, tok, models.backend_tokenizer(tok), seq_len, prefix, suffix)

    # Probe the hook's width before anything is written.
    capture = hooks.Capture(model, spec, stop=True)
    probe = torch.tensor([(prefix or []) + [int(tok("a", add_special_tokens=False)["input_ids"][0])] + (suffix or [])],
                         device=model.device)
    width = int(models.run_to_hook(model, capture, probe, torch.ones_like(probe)).shape[-1])

    encodings = []
    saex = features.find_saex(a.saex, REPO_ROOT) if a.encode else ""
    names = set()
    for enc_spec in a.encode:
        name, path = features.parse_encode(enc_spec)
        if name in names:
            raise BridgeError(f"--encode {enc_spec}: the name {name} is used twice")
        names.add(name)
        d = dictionaries.load(path)
        if d.d_in != width:
            raise BridgeError(f"--encode {enc_spec}: the dictionary reads d_in {d.d_in} but {spec.name} ({spec.describe()}) "
                              f"gives {width} values per token")
        encodings.append(features.Encoding(name=name, dictionary=d, encoder=dictionaries.TorchEncoder(d, a.device),
                                           fingerprint=features.saex_fingerprint(path, saex)))

    sharded = a.shard_tokens is not None
    per_shard = (a.shard_tokens // seq_len) if sharded else None
    if sharded and per_shard < 1:
        raise BridgeError(f"--shard-tokens {a.shard_tokens} is smaller than one sequence ({seq_len} tokens)")
    input_path = a.tokens or a.text
    arguments = {
        "producer_version": VERSION, "model": model_name, "model_config": model.config.to_json_string(use_diff=False),
        "model_dtype": a.model_dtype, "hook": [spec.module, spec.where, spec.head_index, spec.centre],
        "input": [("tokens" if a.tokens else "text"), os.path.abspath(input_path), output.file_sha256(input_path)],
        "seq_len": seq_len, "special_tokens": [prefix, suffix], "max_tokens": a.max_tokens, "dtype": a.dtype,
        "shard_tokens": a.shard_tokens,
        "encode": [[e.name, os.path.abspath(e.dictionary.path), [output.file_sha256(f) for f in e.dictionary.files]] for e in encodings],
        "check": [a.check_fraction, a.check_seed] if encodings else None,
    }
    manifest = output.Manifest(a.output, arguments)
    resuming = manifest.check(a.output) if sharded else False
    fp = manifest.fingerprint
    store_dtype = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[a.dtype]

    from tqdm import tqdm
    total_hint = min(a.max_tokens, int((source.array >= 0).sum())) if a.tokens else None   # text: unknown until read
    bar = tqdm(total=total_hint, unit="tok", disable=not sys.stderr.isatty(), file=sys.stderr, dynamic_ncols=True)
    pad = models.pad_id(tok)
    chunk_rows = max(1, (32 << 20) // max(e.dictionary.d_sae for e in encodings)) if encodings else 0
    rows_iter = inputs.limited(source.rows(), a.max_tokens)
    shards, written, skipped, real_total, index = [], 0, 0, 0, 0
    while True:
        rows = []
        for row in rows_iter:
            rows.append(row)
            if sharded and len(rows) == per_shard:
                break
        if not rows:
            break
        tokens = np.stack(rows).astype(np.int32)
        real = int((tokens >= 0).sum())
        path = output.shard_path(a.output, index, sharded)
        fpath = output.features_path(path) if encodings else None
        if resuming:
            why = output.shard_state(path, fp, tokens, fpath)
            if why is None:
                skipped += 1
                shards.append(os.path.basename(path))
                real_total += real
                index += 1
                bar.update(real)
                continue
            if why != "missing":
                note(f"{path}: {why}; writing it again")
        if sharded:
            manifest.create()
        stored, acc, norms = [], features.ShardFeatures(), []
        for b in range(0, len(rows), a.batch_size):
            t = torch.from_numpy(tokens[b:b + a.batch_size]).long()
            mask = t >= 0
            ids = torch.where(mask, t, torch.full_like(t, pad)).to(model.device)
            mask_d = mask.to(model.device)
            x = models.run_to_hook(model, capture, ids, mask_d.long())
            x = torch.where(mask_d[..., None], x, torch.zeros((), device=x.device))
            xs = x.to(store_dtype)
            stored.append(xs.cpu())
            if encodings:
                flat = xs.float().reshape(-1, xs.shape[-1])
                flat_mask = mask_d.reshape(-1)
                norms.append(torch.linalg.vector_norm(flat, dim=1).cpu())
                for e in encodings:
                    acc.add(e.name, *features.encode_rows(e, flat, flat_mask, chunk_rows))
            bar.update(int(mask.sum()))
        acts = torch.cat(stored)
        meta = {"model_name": model_name, "hook_name": spec.name, "hf_module": spec.module, "hf_hook": spec.where,
                "hook_head_index": "" if spec.head_index is None else str(spec.head_index), "centred": str(spec.centre).lower(),
                "context_size": str(seq_len), "prepend_bos": "" if bos_used is None else str(bos_used).lower(),
                "source": os.path.abspath(input_path), "shard": str(index), "producer": PRODUCER,
                "saex_bridge_fingerprint": fp, "padding": "tokens -1, activations 0", "dtype": a.dtype}
        if encodings:
            flat_tokens = tokens.reshape(-1)
            check = features.check_sample(np.nonzero(flat_tokens >= 0)[0], a.check_fraction, a.check_seed + index)
            x_check = acts.reshape(-1, acts.shape[-1])[torch.from_numpy(check)].float()
            tens, fmeta = features.build_tensors(encodings, acc, tokens, torch.cat(norms), x_check, check,
                                                 {"d_in": width, "seed": a.check_seed + index, "fraction": a.check_fraction,
                                                  "device": a.device, "dtype": a.dtype, "fingerprint": fp})
            output.save_safetensors(fpath, tens, fmeta)
        output.save_safetensors(path, {"activations": acts, "tokens": torch.from_numpy(tokens)}, meta)
        shards.append(os.path.basename(path))
        written += 1
        real_total += real
        index += 1
    bar.close()
    capture.remove()
    if not shards:
        raise BridgeError(f"{input_path} holds no tokens within --max-tokens {a.max_tokens}")

    base = output.output_base(a.output)
    tok_path = base + ".tokenizer.json"
    models.save_tokenizer(tok, tok_path)
    extra = f"; vocabulary {tok_path}"
    if decoder:
        if unembed.write(model, base + ".unembed.safetensors", model_name):
            extra += f"; unembedding {base}.unembed.safetensors"
    if sharded:
        manifest.finish(shards, {"real_tokens": real_total, "sequence_length": seq_len, "d_in": width})
    what = f"{len(shards)} shard{'s' if len(shards) != 1 else ''} ({written} written, {skipped} already there)" if sharded \
        else shards[0]
    note(f"wrote {what}: {real_total} tokens at {spec.name} ({spec.describe()}), width {width}, {a.dtype}"
         + (f", encoded with {', '.join(e.name for e in encodings)}" if encodings else "") + f"{extra} in {time.time() - t0:.1f} s")
