#!/usr/bin/env bash
# --feature-acts benchmark: building a cache from sparse feature activations (no encoding) against
# building it by encoding the same tokens, and against a numpy peer doing the cache's work on the
# same files. A benchmark, not a test.
#   bench/cache/feature_acts.sh [TOKENS] [D_IN] [D_SAE]     defaults: 100000 768 16384
# The features file is written once per shape by bench/cache/make_feature_acts.py (numpy encodes the
# synthetic activations of bench/make_synthetic.py with the synthetic dictionaries, in the layout
# the activation dump writes). saex: `saex-bench feature-build` (open and validate, the CPU
# cross-check alone, then CacheBuilder.build(featureFiles:), which checks again, reads, sums and
# writes); the encoding build it is compared with is bench/cache/run.sh's at the same shape in the
# same run (`saex-bench cache-build` is run here when that result is missing). Writes
# $RESULTS/features_<d_in>_<d_sae>_<tokens>.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
TOKENS=${1:-100000}; DIN=${2:-768}; D_SAE=${3:-16384}
DATA=$SYNTH_DATA; WORK=$CACHE_WORK
mkdir -p "$DATA" "$WORK"
[ -n "${SAEX_BENCH_BIN:-}" ] || print_machine
release_bin saex saex-bench
TAG=${DIN}_${D_SAE}_${TOKENS}
STD=$DATA/std_${DIN}_${D_SAE}; COS=$DATA/cos_${DIN}_${D_SAE}; ACTS=$DATA/acts_${DIN}_${TOKENS}.safetensors
FEAT=$DATA/acts_${DIN}_${TOKENS}.features.safetensors
[ -f "$STD/cfg.json" ] || python3 bench/make_synthetic.py dict "$STD" --d-in "$DIN" --d-sae "$D_SAE" --kind standard
[ -f "$COS/cfg.json" ] || python3 bench/make_synthetic.py dict "$COS" --d-in "$DIN" --d-sae "$D_SAE" --kind cosine
[ -f "$ACTS" ] || python3 bench/make_synthetic.py acts "$ACTS" --d-in "$DIN" --tokens "$TOKENS"
[ -f "$FEAT" ] || "${NUMPY[@]}" bench/cache/make_feature_acts.py "$ACTS" "$FEAT" std="$STD" cos="$COS"
echo "== --feature-acts: $TOKENS tokens, d_in $DIN, 2 x d_sae $D_SAE (load $(load))"
LOAD0=$(load)
CACHE=$WORK/feat_$TAG.saexcache
/usr/bin/time -v -o "$WORK/feattime_$TAG.txt" "$BIN/saex-bench" feature-build "$CACHE" "$ACTS.vocab.json" "$FEAT" std="$STD" cos="$COS" \
    | tee "$WORK/featbuild_$TAG.json"
rm -f "$CACHE"
"${NUMPY[@]}" bench/cache/numpy_feature_acts.py "$FEAT" --dicts std,cos | tee "$WORK/featnp_$TAG.txt"
if [ ! -f "$RESULTS/cache_$TAG.json" ]; then
  SAEX_BENCH_SKIP_ANALYSIS=1 "$BIN/saex-bench" cache-build "$CACHE" "$ACTS" "$ACTS.vocab.json" std="$STD" cos="$COS" | tee "$WORK/featenc_$TAG.json"
  rm -f "$CACHE"
else
  rm -f "$WORK/featenc_$TAG.json"
fi
python3 - "$WORK" "$TAG" "$TOKENS" "$DIN" "$D_SAE" "$LOAD0" "$(du -sb "$FEAT" | cut -f1)" <<'PY'
import json, os, sys
sys.path.insert(0, 'bench')
from results import RESULTS, json_line, max_rss_kib, result_lines, write
w, tag, tokens, din, dsae, load0, fbytes = sys.argv[1:8]
b = json_line(f'{w}/featbuild_{tag}.json')
headline = os.path.join(RESULTS, f'cache_{tag}.json')
if os.path.exists(headline):
    enc = json.load(open(headline))['saex']['build_seconds']; enc_from = 'bench/cache/run.sh in this run'
else:
    enc = json_line(f'{w}/featenc_{tag}.json')['build_seconds']; enc_from = 'saex-bench cache-build in this script'
rec = {'what': 'features', 'tokens': int(tokens), 'rows': b['rows'], 'd_in': int(din), 'd_sae': int(dsae), 'features_bytes': int(fbytes),
       'saex': {'build_seconds': b['build_seconds'], 'check_seconds': b['check_seconds'], 'open_seconds': b['open_seconds'],
                'check_rows': b['check_rows'], 'worst_check_ratio': b['worst_check_ratio'], 'max_rss_kib': max_rss_kib(f'{w}/feattime_{tag}.txt')},
       'encode_build_seconds': enc, 'encode_build_from': enc_from,
       'numpy': {'build_seconds': result_lines(f'{w}/featnp_{tag}.txt')['numpy_feature_build_seconds']},
       'load_before': [float(x) for x in load0.split()]}
write(f'features_{tag}', rec)
s = rec['saex']
print(f"--feature-acts build {s['build_seconds']:.2f} s (check alone {s['check_seconds']:.2f} s on {s['check_rows']} tokens, worst "
      f"{s['worst_check_ratio']:.3g}x the tolerance); encoding build {enc:.2f} s: ratio {(s['open_seconds'] + s['build_seconds']) / enc:.3f} "
      f"(target <= 0.2); numpy peer {rec['numpy']['build_seconds']:.2f} s")
PY
