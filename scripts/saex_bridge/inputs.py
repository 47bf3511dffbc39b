"""Where the token sequences come from: a text file (tokenised here) or a pre-tokenised array."""
import os

import numpy as np

from .errors import BridgeError


class TextSource:
    """One document per line (blank lines skipped). Each document is tokenised without special
    tokens and cut into chunks; each chunk becomes prefix + chunk + suffix (the model's special
    tokens, e.g. [CLS] ... [SEP] or BOS ...), at most seq_len ids, padded with -1."""

    def __init__(self, path: str, tok, backend, seq_len: int, prefix, suffix):
        if not os.path.isfile(path):
            raise BridgeError(f"--text {path}: no such file")
        self.path, self.tok, self.backend = path, tok, backend
        self.seq_len, self.prefix, self.suffix = seq_len, list(prefix), list(suffix)
        self.chunk = seq_len - len(self.prefix) - len(self.suffix)
        if self.chunk < 1:
            raise BridgeError(f"--seq-len {seq_len} leaves no room for text beside the special tokens {self.prefix + self.suffix}")

    def _encode(self, lines):
        if self.backend is not None:
            return [e.ids for e in self.backend.encode_batch(lines, add_special_tokens=False)]
        return self.tok(lines, add_special_tokens=False)["input_ids"]

    def rows(self):
        with open(self.path, "rb") as f:
            batch, lineno = [], 0
            for raw in f:
                lineno += 1
                try:
                    line = raw.decode("utf-8").strip()
                except UnicodeDecodeError:
                    raise BridgeError(f"--text {self.path}: line {lineno} is not UTF-8")
                if line:
                    batch.append(line)
                if len(batch) == 512:
                    yield from self._rows_of(batch)
                    batch = []
            if batch:
                yield from self._rows_of(batch)

    def _rows_of(self, lines):
        for ids in self._encode(lines):
            for s in range(0, len(ids), self.chunk):
                seq = self.prefix + list(ids[s:s + self.chunk]) + self.suffix
                row = np.full(self.seq_len, -1, np.int32)
                row[:len(seq)] = seq
                yield row


def load_tokens(path: str, vocab: int) -> np.ndarray:
    """A 2-D int32/int64 array [sequences, positions] from .npy or .safetensors (tensor `tokens`, or
    the only tensor); -1 is padding; every other id must be in [0, vocab)."""
    if not os.path.isfile(path):
        raise BridgeError(f"--tokens {path}: no such file")
    try:
        if path.endswith(".npy"):
            arr = np.load(path, allow_pickle=False, mmap_mode="r")
        elif path.endswith(".safetensors"):
            from safetensors.numpy import load_file
            d = load_file(path)
            if "tokens" in d:
                arr = d["tokens"]
            elif len(d) == 1:
                arr = next(iter(d.values()))
            else:
                raise BridgeError(f"--tokens {path}: holds {len(d)} tensors ({', '.join(sorted(d))}) and none is named tokens")
        else:
            raise BridgeError(f"--tokens {path}: expected a .npy or .safetensors file")
    except BridgeError:
        raise
    except Exception as e:
        raise BridgeError(f"--tokens {path}: cannot be read ({' '.join(str(e).split())[:200]})")
    if arr.dtype not in (np.int32, np.int64):
        raise BridgeError(f"--tokens {path}: dtype {arr.dtype}, expected int32 or int64")
    if arr.ndim != 2 or arr.shape[1] == 0:
        raise BridgeError(f"--tokens {path}: shape {list(arr.shape)}, expected [sequences, positions]")
    arr = np.asarray(arr)
    bad = (arr < -1) | (arr >= vocab)
    if bad.any():
        s, p = map(int, np.argwhere(bad)[0])
        raise BridgeError(f"--tokens {path}: id {int(arr[s, p])} at sequence {s}, position {p} is outside the model's "
                          f"vocabulary [0, {vocab}) (-1 marks padding); {int(bad.sum())} such ids in all")
    if arr.max(initial=-1) >= 2**31:
        raise BridgeError(f"--tokens {path}: ids do not fit in int32")
    return arr


class TokensSource:
    def __init__(self, path: str, vocab: int):
        self.path = path
        self.array = load_tokens(path, vocab)
        self.seq_len = int(self.array.shape[1])

    def rows(self):
        for row in self.array:
            yield row.astype(np.int32)


def limited(rows, max_tokens: int):
    """Whole sequences while the real (non-padding) tokens stay within max_tokens."""
    total = 0
    for row in rows:
        n = int((row >= 0).sum())
        if total + n > max_tokens:
            return
        total += n
        yield row
