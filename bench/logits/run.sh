#!/usr/bin/env bash
# Logit effects benchmark: `saex cache build --unembed`'s extra work (LogitTable: every feature's ten
# most positive and negative effects through the unembedding) against its numpy peer doing the same
# work on the same files in the same run, and against a bare sgemm of the same blocks (the limit).
# A benchmark, not a test.
#   bench/logits/run.sh [D_MODEL] [D_VOCAB] [D_SAE]     defaults: 768 50257 16384 (GPT-2 small's unembedding)
# The dictionary is bench/make_synthetic.py's standard one of that shape (shared with the cache
# benchmark); the unembedding is random (bench/logits/make_unembed.py). Writes $RESULTS/logits_<d_model>_<d_vocab>_<d_sae>.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
DM=${1:-768}; DV=${2:-50257}; D_SAE=${3:-16384}; TAG=${DM}_${DV}_${D_SAE}
STD=$SYNTH_DATA/std_${DM}_${D_SAE}; UNEMBED=$SYNTH_DATA/unembed_${DM}_${DV}.safetensors; WORK=$CACHE_WORK
mkdir -p "$SYNTH_DATA" "$WORK"
[ -n "${SAEX_BENCH_BIN:-}" ] || print_machine
release_bin saex-bench
[ -f "$STD/cfg.json" ] || python3 bench/make_synthetic.py dict "$STD" --d-in "$DM" --d-sae "$D_SAE" --kind standard
[ -f "$UNEMBED" ] || python3 bench/logits/make_unembed.py "$UNEMBED" --d-model "$DM" --d-vocab "$DV"
echo "== logit effects: d_sae $D_SAE, d_model $DM, d_vocab $DV (load $(load))"
LOAD0=$(load)
"$BIN/saex-bench" logits "$STD" "$UNEMBED" | tee "$WORK/logits_$TAG.json"
"${NUMPY[@]}" bench/logits/numpy_logits.py "$STD" "$UNEMBED" --saex-json "$WORK/logits_$TAG.json" | tee "$WORK/logitsnp_$TAG.txt"
python3 - "$WORK" "$TAG" "$LOAD0" <<'PY'
import sys
sys.path.insert(0, 'bench')
from results import json_line, result_lines, write
w, tag, load0 = sys.argv[1:4]
s = json_line(f'{w}/logits_{tag}.json')
n = result_lines(f'{w}/logitsnp_{tag}.txt')
same = [v for k, v in n.items() if k.startswith('same_ids_first_')]
rec = {'what': 'logits', 'd_sae': s['d_sae'], 'd_model': s['d_model'], 'd_vocab': s['d_vocab'], 'block_rows': s['block_rows'],
       'saex': {'compute_seconds': s['compute_seconds'], 'bare_sgemm_seconds': s['bare_sgemm_seconds'], 'open_seconds': s['open_seconds'],
                'gflops': s['gflops'], 'blas_core': s['blas_core']},
       'numpy': {'logits_seconds': n['numpy_logits_seconds'], 'dot_seconds': n['numpy_dot_seconds'],
                 'open_seconds': n['numpy_open_seconds']},
       'same_first_ids': bool(same and same[0] == 1), 'load_before': [float(x) for x in load0.split()]}
write(f'logits_{tag}', rec)
sx, npy = rec['saex'], rec['numpy']
print(f"logit effects {sx['compute_seconds']:.2f} s ({sx['compute_seconds'] / sx['bare_sgemm_seconds']:.2f}x bare sgemm "
      f"{sx['bare_sgemm_seconds']:.2f} s); numpy {npy['logits_seconds']:.2f} s (np.dot {npy['dot_seconds']:.2f} s); "
      f"numpy / saex {npy['logits_seconds'] / sx['compute_seconds']:.2f}; same ids: {rec['same_first_ids']}")
PY
