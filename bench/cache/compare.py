#!/usr/bin/env python3
"""Checks that `saex cache build` and numpy_cache.py agree: for the features numpy recorded, the
top-32 contexts (row = sequence * seq_len + position, and value) from `saex contexts --format json`
and each interval bin's share of active tokens.
  compare.py SAEX CACHE NUMPY.json"""
import json, subprocess, sys

saex, cache, npjson = sys.argv[1:4]
ref = json.load(open(npjson))
L = ref['seq_len']
bad = checked = 0
worst = 0.0
longest = 0  # the longest top list compared (a rare feature has fewer contexts than the top-k)
for name, feats in ref['dicts'].items():
    for f, want in feats.items():
        if f.startswith('_'):
            continue
        got = json.loads(subprocess.run([saex, 'contexts', cache, '--dict', name, '--feature', f, '--format', 'json'],
                                        check=True, capture_output=True, text=True).stdout)
        rows = [c['sequence'] * L + c['position'] for c in got['contexts']]
        vals = [c['value'] for c in got['contexts']]
        wrows = [r for r, _ in want['top']]
        wvals = [v for _, v in want['top']]
        longest = max(longest, len(wrows))
        checked += 1
        ok = len(rows) == len(wrows)
        if ok:
            for r, v, wr, wv in zip(rows, vals, wrows, wvals):
                rel = abs(v - wv) / max(abs(wv), 1e-12)
                worst = max(worst, rel)
                if rel > 1e-3 or (r != wr and rel > 1e-5):
                    ok = False
        active = want['active']
        shares = [g['contains'] for g in got['intervals']]
        wshares = [c / active for c in want['bins']] if active else []
        # a value on a bin edge may land on either side after float rounding: allow 2 tokens per bin
        if len(shares) != len(wshares) or any(abs(a - b) * active > 2 for a, b in zip(shares, wshares)):
            ok = False
            print(f'  {name} feature {f}: bins differ: saex {shares} numpy {wshares}')
        if not ok:
            bad += 1
            print(f'  {name} feature {f}: top rows saex {rows[:5]}... numpy {wrows[:5]}...')
print(f'agreement: {checked - bad}/{checked} features agree (top-{longest} rows and values, bin shares); '
      f'largest relative value difference {worst:.2e}')
sys.exit(1 if bad else 0)
