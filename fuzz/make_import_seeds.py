#!/usr/bin/env python3
"""Writes the seed corpora of the importer fuzz targets (neuronpedia, saedashboard, delphi) into
fuzz/seeds/TARGET/ (deterministic), from the importer test fixtures in
Tests/SAEKitTests/Import/Fixtures/ (themselves written by make_import_fixtures.py there).

Run from the repository root: python3 fuzz/make_import_seeds.py   (standard library only)
Input layouts: see Sources/Fuzz/Targets/{Neuronpedia,SAEDashboard,Delphi}Fuzz.swift. Parts are
separated by b"\\0PART\\0"; byte 0 chooses the layout.
"""
import gzip
import json
import os

from make_config_seeds import root, seed_writer

fixtures = os.path.join(root, "Tests", "SAEKitTests", "Import", "Fixtures")


def read(*rel):
    return open(os.path.join(fixtures, *rel), "rb").read()


def main():
    w = seed_writer("neuronpedia")
    f7, f8 = read("neuronpedia", "features", "7.json"), read("neuronpedia", "features", "8.json")
    w("feature_7", 0, f7)
    w("feature_8_empty", 0, f8)
    w("feature_folder", 1, f7, f8)
    src = ("neuronpedia", "export", "gpt2-small", "0-res-jb")
    feats_gz, acts_gz = read(*src, "features", "batch-0.jsonl.gz"), read(*src, "activations", "batch-0.jsonl.gz")
    expl = read(*src, "explanations", "batch-0.jsonl")
    feats, acts = gzip.decompress(feats_gz), gzip.decompress(acts_gz)
    w("export_folder", 2, feats, acts, expl)
    w("export_batch", 3, feats, acts, expl)
    w("export_folder_gz", 6, feats_gz, acts_gz, gzip.compress(expl, mtime=0))
    w("export_batch_gz", 7, feats_gz, acts_gz, gzip.compress(expl, mtime=0))
    w("export_empty_features", 2, b"", acts + gzip.decompress(read(*src, "activations", "batch-1.jsonl.gz")))

    w = seed_writer("saedashboard")
    b0 = read("saedashboard", "batch-0.json")
    w("batch", 0, b0)
    b1 = json.loads(b0)
    for feat in b1["features"]:
        feat["feature_index"] += 10
    w("batch_folder", 1, b0, json.dumps(b1).encode())

    w = seed_writer("delphi")
    s0, s1 = read("delphi", "latents", "layers.0", "0_3.safetensors"), read("delphi", "latents", "layers.0", "4_7.safetensors")
    w("hookpoint_folder", 0, s0, s1)
    w("split_file", 4, s0, s1)
    w("latents_folder", 8, s0, s1)
    w("latents_with_empty_hookpoint", 12, s0, s1)
    w("one_split", 0, s0)
    w("second_split_only", 0, s1)
    print("wrote the neuronpedia, saedashboard and delphi seeds")


if __name__ == "__main__":
    main()
