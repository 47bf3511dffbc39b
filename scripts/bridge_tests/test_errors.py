"""Bad input: one line, exit code 2, no traceback, nothing under the output name."""
import os
import shutil

import numpy as np
import pytest

from conftest import bridge, bridge_subprocess, random_tokens


@pytest.fixture
def env(tiny_models, tmp_path):
    t = random_tokens(300, 3, 8, 1)
    np.save(tmp_path / "t.npy", t)
    (tmp_path / "t.txt").write_text("some words here\n", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    return {"model": tiny_models["gpt2"], "tokens": str(tmp_path / "t.npy"), "text": str(tmp_path / "t.txt"), "tmp": tmp_path,
            "o": str(out / "o.safetensors"), "out": out}


def check(r, words, env):
    assert r.code == 2, (r.code, r.err)
    assert len(r.lines) == 1, r.err
    assert "Traceback" not in r.err and words in r.err, r.err
    assert os.listdir(env["out"]) == [], os.listdir(env["out"])


def test_a_model_that_cannot_be_loaded(env):
    tmp = env["tmp"]
    check(bridge("--model", str(tmp / "nope"), "--text", env["text"], "--hook-name", "blocks.0.hook_resid_pre", "-o", env["o"]),
          "no such folder", env)
    check(bridge("--model", "no-such-org/no-such-model", "--text", env["text"], "--hook-name", "blocks.0.hook_resid_pre", "-o", env["o"]),
          "cannot load its config", env)
    broken = tmp / "broken"
    shutil.copytree(env["model"], broken)
    (broken / "config.json").write_text("{ not json")
    check(bridge("--model", str(broken), "--text", env["text"], "--hook-name", "blocks.0.hook_resid_pre", "-o", env["o"]),
          "cannot load its config", env)
    noweights = tmp / "noweights"
    shutil.copytree(env["model"], noweights)
    os.unlink(noweights / "model.safetensors")
    check(bridge("--model", str(noweights), "--text", env["text"], "--hook-name", "blocks.0.hook_resid_pre", "-o", env["o"]),
          "cannot load the model", env)


def test_usage_errors(env):
    m, t, o = env["model"], env["tokens"], env["o"]
    check(bridge("--model", m, "--tokens", t, "--hook-name", "blocks.0.hook_resid_pre", "--frobnicate", "-o", o),
          "unrecognized arguments", env)
    check(bridge("--model", m, "--hook-name", "blocks.0.hook_resid_pre", "-o", o), "give --text FILE or --tokens FILE", env)
    check(bridge("--model", m, "--tokens", t, "-o", o), "say where to record", env)
    check(bridge("--model", m, "--tokens", t, "--hook-name", "x.output", "--module", "h.0", "-o", o), "not both", env)
    check(bridge("--model", m, "--tokens", t, "--hook-name", "blocks.0.hook_resid_pre", "-o", str(env["tmp"] / "nodir" / "o.safetensors")),
          "does not exist", env)
    check(bridge("--model", m, "--text", str(env["tmp"] / "missing.txt"), "--hook-name", "blocks.0.hook_resid_pre", "-o", o),
          "no such file", env)
    check(bridge("--model", m, "--tokens", t, "--hook-name", "blocks.0.hook_resid_pre", "--shard-tokens", "4", "-o", o),
          "smaller than one sequence", env)
    check(bridge("--model", m, "--tokens", t, "--module", "h.0.nonsense", "-o", o), "no such module", env)
    check(bridge("--model", m, "--tokens", t, "--hook-name", "blocks.0.hook_resid_pre", "--device", "cuda", "-o", o)
          if not _has_cuda() else _skip(), "no CUDA device", env)
    (env["tmp"] / "latin1.txt").write_bytes(b"caf\xe9\n")
    check(bridge("--model", m, "--text", str(env["tmp"] / "latin1.txt"), "--hook-name", "blocks.0.hook_resid_pre", "-o", o),
          "line 1 is not UTF-8", env)
    (env["tmp"] / "empty.txt").write_text("\n\n", encoding="utf-8")
    check(bridge("--model", m, "--text", str(env["tmp"] / "empty.txt"), "--hook-name", "blocks.0.hook_resid_pre", "-o", o),
          "holds no tokens", env)
    check(bridge("--model", m, "--text", str(env["tmp"] / "empty.txt"), "--hook-name", "blocks.0.hook_resid_pre", "--shard-tokens", "256",
                 "-o", o), "holds no tokens", env)


def _has_cuda():
    import torch
    return torch.cuda.is_available()


def _skip():
    pytest.skip("a CUDA device is present")


def test_errors_in_a_real_process_have_no_traceback(env):
    """The same one-liners from the script itself (bad ids, an unknown hook)."""
    np.save(env["tmp"] / "bad.npy", np.array([[1, 2, 999999]], np.int64))
    for args, words in ((["--model", env["model"], "--tokens", str(env["tmp"] / "bad.npy"), "--hook-name", "blocks.0.hook_resid_pre"],
                         "id 999999 at sequence 0, position 2 is outside"),
                        (["--model", env["model"], "--text", env["text"], "--hook-name", "blocks.0.hook_resid_prez"], "valid:")):
        check(bridge_subprocess(*args, "-o", env["o"]), words, env)
