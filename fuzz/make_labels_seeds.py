#!/usr/bin/env python3
"""Writes the seed corpus of the `labels` fuzz target into fuzz/seeds/labels/ (deterministic).

Run from the repository root: python3 fuzz/make_labels_seeds.py   (standard library only)
Input layout (Sources/Fuzz/Targets/LabelsFuzz.swift): byte 0 even = a labels file (docs/LABELS.md,
JSON Lines), odd = a labels export (saex labels export's JSON).
"""
import json
import os

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, "fuzz", "seeds", "labels")

HEADER = '{"format":"saex-labels","version":1}'
FP = "c715468d4a62bb89"
T1, T2 = "2024-05-01T12:34:56.789Z", "2024-05-02T08:00:00.000Z"


def rec(**kw):
    return json.dumps(kw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def journal(name, lines, tail="\n"):
    write(name, 0, "\n".join(lines) + tail)


def export(name, obj):
    write(name, 1, json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def write(name, mode, text):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([mode]) + text.encode("utf-8"))


def main():
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    d = rec(op="dictionary", fingerprint=FP, name="jr", path="fixtures/loaders/saelens_jumprelu", architecture="jumprelu")
    s1 = rec(op="set", fingerprint=FP, feature=3, verdict="interpretable", concept="legal citations", notes="line one\nline two",
             rating="yes", author="ana", created=T1, updated=T2)
    s2 = rec(op="set", fingerprint=FP, feature=7, verdict="norm_detector", concept="[CLS] norm \u00e9\u4e2d", author="b", created=T1)
    s3 = rec(op="set", fingerprint="0123456789abcdef", feature=0, verdict="polysemantic", rating="maybe", updated=T2)
    c1 = rec(op="clear", fingerprint=FP, feature=7)
    journal("journal_header_only", [HEADER])
    journal("journal_full", [HEADER, d, s1, s2, s3, c1])
    journal("journal_compacted", [HEADER, d, s1, s3])
    journal("journal_blank_lines", [HEADER, "", "  \t", s1, "\r", s2])
    journal("journal_incomplete_last", [HEADER, d, s1, s2[:30]], tail="")
    journal("journal_damaged_last", [HEADER, d, s1, '{"op":"set","fingerprint":"x","feature":-1}'])
    journal("journal_unknown_keys", [HEADER, rec(op="set", fingerprint=FP, feature=1, concept="c", future_key=[1, 2], updated=T1)])
    journal("journal_no_version", ['{"format":"saex-labels"}', s1])
    # Version 2: several raters per feature, a clear of one rater, a blind label.
    h2 = '{"format":"saex-labels","version":2}'
    s1b = rec(op="set", fingerprint=FP, feature=3, verdict="polysemantic", rating="maybe", author="bo", created=T1, updated=T2,
              provenance="blind")
    journal("journal_raters", [h2, d, s1, s1b, s2, rec(op="clear", fingerprint=FP, feature=3, author="ana"), s3])
    journal("journal_v1_second_rater", [HEADER, s1, s1b])

    lab = {"dictionary": "jr", "fingerprint": FP, "feature": 3, "verdict": "interpretable", "concept": "legal citations",
           "notes": "multi\nline", "rating": "yes", "author": "ana", "created": T1, "updated": T2,
           "stats": {"alpha": 1.0, "elasticity": 0.97, "norm_pearson": None, "norm_spearman": -0.25, "density": 0.0125}}
    export("export_full", {
        "format": "saex-labels-export", "version": 1, "saex_version": "0.1.0", "exported": T2, "cache_fingerprint": "5d7757dc1a1c2dee",
        "dictionaries": [{"name": "jr", "path": "fixtures/loaders/saelens_jumprelu", "architecture": "jumprelu", "fingerprint": FP},
                         {"name": None, "path": None, "architecture": None, "fingerprint": "0123456789abcdef"}],
        "labels": [lab,
                   dict(lab, feature=4, verdict=None, concept="", notes="", rating=None, stats=None),
                   dict(lab, feature=3, concept="another concept"),
                   dict(lab, fingerprint="0123456789abcdef", feature=12, concept="\u4e2d\u6587 \u00e9", dictionary=None, verdict="unsure",
                        rating="no", created="2024-05-01T12:34:56Z")]})
    export("export_raters", {"format": "saex-labels-export", "version": 2, "dictionaries": [], "labels": [
        dict(lab, provenance="blind"), dict(lab, author="bo", verdict="unsure", provenance="manual"), dict(lab, author="bo", concept="again")]})
    export("export_minimal", {"labels": [{"fingerprint": FP, "feature": 0, "concept": "x"}]})
    export("export_empty", {"format": "saex-labels-export", "version": 1, "dictionaries": [], "labels": []})
    print("wrote", len(os.listdir(out)), "seeds to", out)


if __name__ == "__main__":
    main()
