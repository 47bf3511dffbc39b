"""Atomic writes, shard names, shard validation and the resume manifest."""
import contextlib
import hashlib
import json
import os
import struct
from typing import Dict, Optional

from .errors import BridgeError

_live_temps = set()


@contextlib.contextmanager
def atomic_path(path: str):
    """Yields a temporary path beside `path`; renames it onto `path` when the block succeeds and
    removes it otherwise, so nothing half-written ever carries the output name."""
    tmp = f"{path}.tmp-{os.getpid()}"
    _live_temps.add(tmp)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)   # as open() would have made it (the safetensors writer uses 0600)
        os.replace(tmp, path)
    finally:
        _live_temps.discard(tmp)
        if os.path.exists(tmp):
            os.unlink(tmp)


def remove_live_temps():
    for t in list(_live_temps):
        with contextlib.suppress(OSError):
            os.unlink(t)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def save_safetensors(path: str, tensors: Dict, metadata: Dict[str, str]):
    """Writes torch tensors with the safetensors library (header padded to 8 bytes, tensors ordered
    widest dtype first so each is aligned), atomically."""
    from safetensors.torch import save_file
    with atomic_path(path) as tmp:
        save_file({k: v.contiguous().cpu() for k, v in tensors.items()}, tmp, metadata=metadata)


def write_json(path: str, obj):
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=1, sort_keys=True)
            f.write("\n")


def output_base(output: str) -> str:
    return output[:-len(".safetensors")] if output.endswith(".safetensors") else output


def shard_path(output: str, index: int, sharded: bool) -> str:
    base = output_base(output)
    return f"{base}-{index:05d}.safetensors" if sharded else f"{base}.safetensors"


def features_path(shard: str) -> str:
    return output_base(shard) + ".features.safetensors"


def read_header(path: str):
    """Parses a safetensors header; returns (header dict, None) or (None, reason) when the file is
    truncated or not safetensors."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                return None, f"{size} bytes, shorter than a safetensors header"
            n = struct.unpack("<Q", head)[0]
            if n > min(size - 8, 100_000_000):
                return None, f"header length {n} exceeds the file ({size} bytes)"
            header = json.loads(f.read(n))
    except (OSError, ValueError, UnicodeDecodeError) as e:
        return None, f"unreadable ({e.__class__.__name__})"
    end = max([v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"] or [0])
    if 8 + n + end != size:
        return None, f"truncated: {size} bytes, the header describes {8 + n + end}"
    return header, None


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def fingerprint(arguments: dict) -> str:
    return hashlib.sha256(json.dumps(arguments, sort_keys=True).encode()).hexdigest()[:32]


class Manifest:
    """OUT.manifest.json: the arguments a sharded dump was started with, so that a re-run resumes
    only when it would write the same shards."""

    def __init__(self, output: str, arguments: dict):
        self.path = output_base(output) + ".manifest.json"
        self.arguments = arguments
        self.fingerprint = fingerprint(arguments)

    def check(self, output: str):
        """True when OUT.manifest.json exists with these arguments (resume); refuses other arguments."""
        base = output_base(output)
        if os.path.exists(self.path):
            try:
                with open(self.path, encoding="utf-8") as f:
                    old = json.load(f)
                old_args, old_fp = old["arguments"], old["fingerprint"]
            except (OSError, ValueError, KeyError, TypeError):
                raise BridgeError(f"{self.path} is not a manifest this script wrote; delete it and {base}-*.safetensors, "
                                  "or choose another -o")
            if old_fp == self.fingerprint:
                self._clear_stale_temps(base)
            if old_fp != self.fingerprint:
                diff = sorted(k for k in set(old_args) | set(self.arguments) if old_args.get(k) != self.arguments.get(k))
                raise BridgeError(f"{self.path}: the shards there were written with other arguments ({', '.join(diff)} differ); "
                                  f"re-run with the same arguments to resume, or choose another -o")
            return True
        if os.path.exists(shard_path(output, 0, True)):
            raise BridgeError(f"{shard_path(output, 0, True)} exists but {self.path} does not; "
                              "delete the old shards or choose another -o")
        return False

    def create(self):
        """Written just before the first shard, so a run that fails earlier leaves nothing behind."""
        if not os.path.exists(self.path):
            write_json(self.path, {"version": 1, "fingerprint": self.fingerprint, "arguments": self.arguments, "complete": False})

    @staticmethod
    def _clear_stale_temps(base: str):
        """Removes the temporary files of killed runs (their process is gone) before resuming."""
        import glob
        for t in glob.glob(glob.escape(base) + "-[0-9][0-9][0-9][0-9][0-9]*.safetensors.tmp-*"):
            pid = t.rsplit(".tmp-", 1)[1]
            if pid.isdigit() and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    os.unlink(t)

    def finish(self, shards: list, totals: dict):
        write_json(self.path, {"version": 1, "fingerprint": self.fingerprint, "arguments": self.arguments, "complete": True,
                               "shards": shards, **totals})


def shard_state(path: str, expect_fp: str, expect_tokens, features: Optional[str]) -> Optional[str]:
    """None when the shard at `path` (and its features file) is complete and holds exactly
    `expect_tokens` (an int32 numpy array) for these arguments; otherwise why it has to be written."""
    import numpy as np
    if not os.path.exists(path):
        return "missing"
    header, why = read_header(path)
    if header is None:
        return why
    meta = header.get("__metadata__", {})
    if meta.get("saex_bridge_fingerprint") != expect_fp:
        return "written with other arguments"
    t = header.get("tokens")
    if t is None or t.get("shape") != list(expect_tokens.shape):
        return "holds other sequences"
    from safetensors import safe_open
    try:
        with safe_open(path, framework="pt") as f:
            if not np.array_equal(f.get_tensor("tokens").numpy(), expect_tokens):
                return "holds other token ids"
    except Exception as e:  # the header parsed, so this is a damaged body
        return f"unreadable ({e.__class__.__name__})"
    if features is not None:
        if not os.path.exists(features):
            return f"{os.path.basename(features)} is missing"
        fh, why = read_header(features)
        if fh is None:
            return f"{os.path.basename(features)}: {why}"
    return None
