"""--shard-tokens: shards in corpus order, atomic writes, resume after an interruption, refusal of
mixed arguments, truncated shards."""
import glob
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import SCRIPT, bridge, bridge_ok, load_st, random_tokens


@pytest.fixture(scope="module")
def setup(tiny_models, tmp_path_factory):
    import transformers as tf
    tmp = tmp_path_factory.mktemp("shards")
    folder = tiny_models["gpt2"]
    t = random_tokens(tf.AutoConfig.from_pretrained(folder).vocab_size, sequences=10, length=16, seed=4)
    np.save(tmp / "t.npy", t)
    base = ["--model", folder, "--tokens", str(tmp / "t.npy"), "--hook-name", "blocks.1.hook_resid_post", "--dtype", "bf16"]
    return {"tmp": tmp, "folder": folder, "tokens": t, "base": base}


def content(path):
    from conftest import st_metadata
    return {k: v.tobytes() for k, v in load_st(path).items()}, st_metadata(path)


def shard_files(prefix):
    return sorted(p for p in glob.glob(prefix + "-[0-9][0-9][0-9][0-9][0-9].safetensors"))


def test_shards_concatenate_to_the_unsharded_dump(setup, tmp_path):
    base = setup["base"]
    one = str(tmp_path / "one.safetensors")
    bridge_ok(*base, "-o", one)
    r = bridge_ok(*base, "--shard-tokens", "50", "-o", str(tmp_path / "sh.safetensors"))   # 3 sequences of 16 per shard
    files = shard_files(str(tmp_path / "sh"))
    assert [os.path.basename(f) for f in files] == [f"sh-0000{i}.safetensors" for i in range(4)]
    from conftest import load_st_torch
    parts = [{k: v.numpy() if k == "tokens" else v for k, v in load_st_torch(f).items()} for f in files]
    assert [len(p["tokens"]) for p in parts] == [3, 3, 3, 1]
    whole = {"tokens": load_st_torch(one)["tokens"].numpy()}
    assert np.array_equal(np.concatenate([p["tokens"] for p in parts]), whole["tokens"])
    import torch
    from safetensors.torch import load_file
    acts = torch.cat([load_file(f)["activations"] for f in files])
    assert acts.dtype == torch.bfloat16 and torch.equal(acts, load_file(one)["activations"])
    m = json.load(open(tmp_path / "sh.manifest.json"))
    assert m["complete"] and m["shards"] == [os.path.basename(f) for f in files]
    assert m["real_tokens"] == int((setup["tokens"] >= 0).sum())
    assert "4 shards (4 written, 0 already there)" in r.err
    assert not glob.glob(str(tmp_path / "*.tmp-*"))


def test_resume_redoes_missing_and_truncated_shards_only(setup, tiny_models, tmp_path):
    """Simulated interruption: later shards missing, one truncated, a temp file left behind."""
    folder = tiny_models["gpt2"]
    args = ["--model", folder, "--tokens", str(setup["tmp"] / "t.npy"), "--hook-name", "blocks.1.hook_resid_post",
            "--shard-tokens", "32", "-o", str(tmp_path / "r.safetensors")]
    bridge_ok(*args)
    files = shard_files(str(tmp_path / "r"))
    assert len(files) == 5
    golden = {f: content(f) for f in files}
    os.unlink(files[3])
    os.unlink(files[4])
    with open(files[1], "r+b") as f:
        f.truncate(os.path.getsize(files[1]) - 100)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f"r-00003.safetensors.tmp-{dead.pid}").write_bytes(b"partial")   # what a killed run leaves
    stamp = os.path.getmtime(files[0])
    time.sleep(0.05)
    r = bridge_ok(*args)
    assert "r-00001.safetensors: truncated" in r.err and "writing it again" in r.err
    assert "5 shards (3 written, 2 already there)" in r.err
    for f in files:
        assert content(f) == golden[f], f                    # the same tensors and metadata as the uninterrupted run
    assert os.path.getmtime(files[0]) == stamp                 # shard 0 was not rewritten
    assert not glob.glob(str(tmp_path / "*.tmp-*"))
    r = bridge_ok(*args)
    assert "5 shards (0 written, 5 already there)" in r.err


def test_resume_with_other_arguments_is_refused(setup, tmp_path):
    args = ["--model", setup["folder"], "--tokens", str(setup["tmp"] / "t.npy"), "--shard-tokens", "32",
            "-o", str(tmp_path / "m.safetensors")]
    bridge_ok(*args, "--hook-name", "blocks.1.hook_resid_post")
    before = {p: os.path.getmtime(p) for p in shard_files(str(tmp_path / "m"))}
    for extra in (["--hook-name", "blocks.2.hook_resid_post"], ["--hook-name", "blocks.1.hook_resid_post", "--dtype", "f32"]):
        r = bridge(*args, *extra)
        assert r.code == 2 and len(r.lines) == 1 and "written with other arguments" in r.err, r.err
    assert before == {p: os.path.getmtime(p) for p in shard_files(str(tmp_path / "m"))}
    os.unlink(tmp_path / "m.manifest.json")
    r = bridge(*args, "--hook-name", "blocks.1.hook_resid_post")
    assert r.code == 2 and "m.manifest.json does not" in r.err


def test_features_file_beside_each_shard(tiny_models, corpus, tmp_path):
    from conftest import LOADERS, make_model
    folder = make_model("gpt2", str(tmp_path / "g16"), corpus, d_model=16, n_layer=2, init=0.5, seed=3)
    import transformers as tf
    t = random_tokens(tf.AutoConfig.from_pretrained(folder).vocab_size, 7, 8, 9)
    np.save(tmp_path / "t.npy", t)
    bridge_ok("--model", folder, "--tokens", str(tmp_path / "t.npy"), "--hook-name", "blocks.1.hook_resid_post", "--shard-tokens", "24",
              "--encode", f"a={LOADERS}/saelens_jumprelu", "--encode", f"b={LOADERS}/cosine_topk_alpha_logit",
              "-o", str(tmp_path / "f.safetensors"))
    files = shard_files(str(tmp_path / "f"))
    assert len(files) == 3
    seeds = []
    for f in files:
        feats = load_st(f[:-len(".safetensors")] + ".features.safetensors")
        assert np.array_equal(feats["tokens"], load_st(f)["tokens"])
        from conftest import st_metadata
        meta = json.loads(st_metadata(f[:-len(".safetensors")] + ".features.safetensors")["saex_features"])
        assert meta["rows"] == feats["tokens"].size and [d["name"] for d in meta["dictionaries"]] == ["a", "b"]
        seeds.append(meta["check"]["seed"])
    assert seeds == [0, 1, 2]
    # Deleting a features file makes its shard count as unfinished.
    os.unlink(files[1][:-len(".safetensors")] + ".features.safetensors")
    r = bridge_ok("--model", folder, "--tokens", str(tmp_path / "t.npy"), "--hook-name", "blocks.1.hook_resid_post", "--shard-tokens", "24",
                  "--encode", f"a={LOADERS}/saelens_jumprelu", "--encode", f"b={LOADERS}/cosine_topk_alpha_logit",
                  "-o", str(tmp_path / "f.safetensors"))
    assert "f-00001.features.safetensors is missing" in r.err and "(1 written, 2 already there)" in r.err


def test_killed_run_resumes_to_the_same_result(tiny_models, tmp_path):
    """A real interruption: SIGKILL once a few shards exist, then the same command again."""
    import transformers as tf
    folder = tiny_models["gpt2"]
    t = random_tokens(tf.AutoConfig.from_pretrained(folder).vocab_size, sequences=300, length=16, seed=6)
    np.save(tmp_path / "t.npy", t)
    args = ["--model", folder, "--tokens", str(tmp_path / "t.npy"), "--hook-name", "blocks.2.hook_resid_post",
            "--batch-size", "1", "--shard-tokens", "80"]          # 5 sequences, 5 forward passes per shard
    ref = tmp_path / "ref"
    ref.mkdir()
    bridge_ok(*args, "--batch-size", "5", "-o", str(ref / "k.safetensors"))
    run = tmp_path / "run"
    run.mkdir()
    p = subprocess.Popen([sys.executable, SCRIPT, *args, "-o", str(run / "k.safetensors")], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline and not os.path.exists(run / "k-00003.safetensors") and p.poll() is None:
        time.sleep(0.005)
    p.send_signal(signal.SIGKILL)
    p.wait()
    done = shard_files(str(run / "k"))
    assert 3 < len(done) < 60, f"the run must be interrupted part-way ({len(done)} of 60 shards were written)"
    assert not json.load(open(run / "k.manifest.json"))["complete"]
    r = bridge_ok(*args, "-o", str(run / "k.safetensors"))
    assert f"({60 - len(done)} written, {len(done)} already there)" in r.err, r.err
    want, got = shard_files(str(ref / "k")), shard_files(str(run / "k"))
    assert [os.path.basename(f) for f in got] == [os.path.basename(f) for f in want] and len(want) == 60
    for a, b in zip(got, want):
        x, y = load_st(a), load_st(b)
        assert np.array_equal(x["tokens"], y["tokens"]) and np.array_equal(x["activations"], y["activations"]), a
    assert not [n for n in os.listdir(run) if ".tmp-" in n]    # the killed run's temp file, if any, is cleared
