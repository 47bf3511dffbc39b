#!/usr/bin/env bash
# The comparison screens at 16,384 x 16,384 features (issue targets: the first build of the pairs
# table <= 1 s, keystroke-to-frame p99 <= 10 ms after it): a real cache built by `saex cache build`
# from the synthetic 100,000-token, d_in 768 pair of bench/make_synthetic.py, then
# `saex-bench ui --pairs --cache` (first build, a ranking switch, keys on the pairs screen, opening
# pairs in compare with their shared evidence). No numpy peer: there is no numpy explorer.
#   bench/ui/pairs.sh [KEYS] [RUNS] [D_SAE] [TOKENS]   (defaults 2000, 3, 16384, 100000) writes $RESULTS/ui_pairs.json
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
KEYS=${1:-2000}; RUNS=${2:-3}
DIN=768; D_SAE=${3:-16384}; TOKENS=${4:-100000}
release_bin saex saex-bench
DATA=$SYNTH_DATA; WORK=$CACHE_WORK
mkdir -p "$DATA" "$WORK"
STD=$DATA/std_${DIN}_${D_SAE}; COS=$DATA/cos_${DIN}_${D_SAE}; ACTS=$DATA/acts_${DIN}_${TOKENS}.safetensors
[ -f "$STD/cfg.json" ] || python3 bench/make_synthetic.py dict "$STD" --d-in "$DIN" --d-sae "$D_SAE" --kind standard
[ -f "$COS/cfg.json" ] || python3 bench/make_synthetic.py dict "$COS" --d-in "$DIN" --d-sae "$D_SAE" --kind cosine
[ -f "$ACTS" ] || python3 bench/make_synthetic.py acts "$ACTS" --d-in "$DIN" --tokens "$TOKENS"
CACHE=$WORK/pairs_${DIN}_${D_SAE}_${TOKENS}.saexcache
if [ ! -f "$CACHE" ] || [ ! -f "$CACHE.analysis" ]; then
  echo "== building the cache (saex cache build, with its analysis)"
  "$BIN/saex" cache build --dict standard="$STD" --dict cosine="$COS" --activations "$ACTS" --vocab "$ACTS.vocab.json" -o "$CACHE"
fi
LOAD0=$(load)
echo "== pairs and compare: 2 x $D_SAE features, $RUNS runs of $KEYS keys (load $LOAD0)"
: > "$RESULTS/.ui_pairs.txt"
for _ in $(seq "$RUNS"); do
  "$BIN/saex-bench" ui --pairs --cache "$CACHE" --keys "$KEYS" --json | tee -a "$RESULTS/.ui_pairs.txt"
done
python3 - "$RESULTS" "$LOAD0" <<'PY'
import json, sys
sys.path.insert(0, 'bench')
from results import write
r, load0 = sys.argv[1], [float(x) for x in sys.argv[2].split()]
write('ui_pairs', {'what': 'ui_pairs', 'runs': [json.loads(l) for l in open(f'{r}/.ui_pairs.txt') if l.startswith('{')], 'load_before': load0})
PY
[ "${KEEP_CACHE:-0}" = 1 ] || rm -f "$CACHE" "$CACHE.analysis" "$CACHE.labels"
