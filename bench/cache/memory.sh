#!/usr/bin/env bash
# Cache-build memory benchmark: max RSS of CacheBuilder.build (saex-bench cache-build, no analysis)
# at several corpus sizes, d_in 768, a standard and a cosine dictionary of d_sae 16,384 (the
# synthetic data of bench/make_synthetic.py), beside the numpy peer (bench/cache/numpy_cache.py,
# which holds every nonzero in memory) on the same files. A benchmark, not a test.
#   bench/cache/memory.sh TOKENS...        e.g. bench/cache/memory.sh 100000 400000 1000000
# Writes $RESULTS/memory_<tokens>.json per size. SAEX_BENCH_MEMORY_LIMIT sets --memory-limit (default
# 1G); NUMPY_PEER=0 leaves the numpy peer out. Max RSS from /usr/bin/time -v.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
[ $# -ge 1 ] || { echo "usage: bench/cache/memory.sh TOKENS..." >&2; exit 2; }
DIN=${DIN:-768}; D_SAE=${D_SAE:-16384}
DATA=$SYNTH_DATA; WORK=$CACHE_WORK
mkdir -p "$DATA" "$WORK"
[ -n "${SAEX_BENCH_BIN:-}" ] || print_machine
release_bin saex saex-bench
BATCH=$(( (256 << 20) / (12 * D_SAE) )); [ $BATCH -gt 4096 ] && BATCH=4096
STD=$DATA/std_${DIN}_${D_SAE}; COS=$DATA/cos_${DIN}_${D_SAE}
[ -f "$STD/cfg.json" ] || python3 bench/make_synthetic.py dict "$STD" --d-in "$DIN" --d-sae "$D_SAE" --kind standard
[ -f "$COS/cfg.json" ] || python3 bench/make_synthetic.py dict "$COS" --d-in "$DIN" --d-sae "$D_SAE" --kind cosine
for TOKENS in "$@"; do
  TAG=${DIN}_${D_SAE}_${TOKENS}
  ACTS=$DATA/acts_${DIN}_${TOKENS}.safetensors
  [ -f "$ACTS" ] || python3 bench/make_synthetic.py acts "$ACTS" --d-in "$DIN" --tokens "$TOKENS"
  CACHE=$WORK/mem_${TAG}.saexcache
  rm -f "$CACHE"
  echo "== memory: $TOKENS tokens, d_in $DIN, 2 x d_sae $D_SAE (load $(load))"
  LOAD0=$(load)
  SAEX_BENCH_SKIP_ANALYSIS=1 /usr/bin/time -v -o "$WORK/memtime_$TAG.txt" "$BIN/saex-bench" cache-build "$CACHE" "$ACTS" "$ACTS.vocab.json" \
      std="$STD" cos="$COS" | tee "$WORK/membuild_$TAG.json"
  du -sb "$ACTS" | cut -f1 > "$WORK/memacts_$TAG.txt"
  rm -f "$CACHE"
  if [ "${NUMPY_PEER:-1}" = 1 ]; then
    /usr/bin/time -v -o "$WORK/memtime_np_$TAG.txt" "${NUMPY[@]}" bench/cache/numpy_cache.py "$ACTS" "$WORK/memnp_$TAG.json" \
        std="$STD" cos="$COS" --batch "$BATCH" | tee "$WORK/memnp_$TAG.txt"
  else
    rm -f "$WORK/memtime_np_$TAG.txt" "$WORK/memnp_$TAG.txt"
  fi
  python3 - "$WORK" "$TAG" "$TOKENS" "$DIN" "$D_SAE" "$LOAD0" <<'PY'
import json, os, sys
sys.path.insert(0, 'bench')
from results import json_line, max_rss_kib, result_lines, write
w, tag, tokens, din, dsae, load0 = sys.argv[1:7]
b = json_line(f'{w}/membuild_{tag}.json')
np_txt = f'{w}/memnp_{tag}.txt'
npr = result_lines(np_txt) if os.path.exists(np_txt) else {}
rec = {'what': 'memory', 'tokens': int(tokens), 'rows': b['rows'], 'd_in': int(din), 'd_sae': int(dsae),
       'activation_bytes': int(open(f'{w}/memacts_{tag}.txt').read()), 'memory_limit': b['memory_limit'],
       'saex': {'build_seconds': b['build_seconds'], 'max_rss_kib': max_rss_kib(f'{w}/memtime_{tag}.txt'), 'blas_core': b['blas_core']},
       'numpy': {'total_seconds': npr['numpy_total_seconds'], 'max_rss_kib': max_rss_kib(f'{w}/memtime_np_{tag}.txt')} if npr else None,
       'load_before': [float(x) for x in load0.split()]}
write(f'memory_{tokens}', rec)
s = rec['saex']
print(f"memory: {tokens} tokens: saex max RSS {s['max_rss_kib'] / 1048576:.2f} GiB in {s['build_seconds']:.1f} s"
      + (f"; numpy {rec['numpy']['max_rss_kib'] / 1048576:.2f} GiB in {rec['numpy']['total_seconds']:.1f} s" if npr else ''))
PY
done
