#!/usr/bin/env bash
# Cache-build benchmark: saex's CacheBuilder against a numpy peer doing the same work on the same files
# in the same run, and the encoder alone against bare sgemm of the same shapes in Swift and numpy.
# A benchmark, not a test. bench/run_all.sh runs it at several sizes; it can also run alone:
#   bench/cache/run.sh [TOKENS] [D_INS] [D_SAE]      defaults: 100000 "768 2304" 16384
# Per d_in, writes $RESULTS/cache_<d_in>_<d_sae>_<tokens>.json (bench/lib.sh) and prints a summary:
# (a) `saex-bench cache-build`: CacheBuilder.build with a standard and a cosine dictionary (the work
#     the numpy peer does, plus elasticity sums and writing the file), max RSS from /usr/bin/time -v.
#     REFRESH=1 also times AnalysisStore.refresh, which `saex cache build` runs next, part by part,
#     with the estimate saex prints before it.
# (b) bench/cache/numpy_cache.py: the same encode, CSC, top-32 and interval bins in numpy; compare.py
#     checks that saex's contexts agree with it.
# (c) `saex-bench encode` per dictionary (prepareInput + preActivations + activate); the first is
#     followed by a bare cblas_sgemm of the same shapes in the same process (both dictionaries have
#     the same shapes, so the limit for the pair is twice that); numpy_sgemm.py: np.dot of both.
# Synthetic data goes to $SYNTH_DATA (bench/lib.sh; made once per shape). KEEP_CACHE=1 keeps the cache.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
TOKENS=${1:-100000}; D_INS=${2:-"768 2304"}; D_SAE=${3:-16384}
DATA=$SYNTH_DATA; WORK=$CACHE_WORK
mkdir -p "$DATA" "$WORK"

[ -n "${SAEX_BENCH_BIN:-}" ] || print_machine
release_bin saex saex-bench
BATCH=$(( (256 << 20) / (12 * D_SAE) )); [ $BATCH -gt 4096 ] && BATCH=4096   # CacheBuilder's batch

for DIN in $D_INS; do
  TAG=${DIN}_${D_SAE}_${TOKENS}
  echo
  echo "== cache build: d_in $DIN, d_sae $D_SAE, $TOKENS tokens (load $(load))"
  STD=$DATA/std_${DIN}_${D_SAE}; COS=$DATA/cos_${DIN}_${D_SAE}; ACTS=$DATA/acts_${DIN}_${TOKENS}.safetensors
  [ -f "$STD/cfg.json" ] || python3 bench/make_synthetic.py dict "$STD" --d-in "$DIN" --d-sae "$D_SAE" --kind standard
  [ -f "$COS/cfg.json" ] || python3 bench/make_synthetic.py dict "$COS" --d-in "$DIN" --d-sae "$D_SAE" --kind cosine
  [ -f "$ACTS" ] || python3 bench/make_synthetic.py acts "$ACTS" --d-in "$DIN" --tokens "$TOKENS"
  CACHE=$WORK/cache_${TAG}.saexcache
  rm -rf "$CACHE" "$CACHE.analysis"
  LOAD0=$(load)

  echo "-- (a) CacheBuilder.build (load $(load))"
  SKIP=1; [ "${REFRESH:-0}" = 1 ] && SKIP=0
  SAEX_BENCH_SKIP_ANALYSIS=$SKIP /usr/bin/time -v -o "$WORK/time_$TAG.txt" "$BIN/saex-bench" cache-build "$CACHE" "$ACTS" "$ACTS.vocab.json" \
      std="$STD" cos="$COS" | tee "$WORK/build_$TAG.json"
  LOAD_A=$(load)

  echo "-- (b) numpy peer (load $(load))"
  /usr/bin/time -v -o "$WORK/time_np_$TAG.txt" "${NUMPY[@]}" bench/cache/numpy_cache.py "$ACTS" "$WORK/numpy_$TAG.json" \
      std="$STD" cos="$COS" --batch "$BATCH" | tee "$WORK/np_$TAG.txt"
  LOAD_B=$(load)

  echo "-- agreement: top-32 and bin shares of a few features, saex contexts --format json vs numpy"
  AGREE=1; python3 bench/cache/compare.py "$BIN/saex" "$CACHE" "$WORK/numpy_$TAG.json" > "$WORK/agree_$TAG.txt" || AGREE=0
  cat "$WORK/agree_$TAG.txt"

  echo "-- (c) encoder alone, then bare sgemm of its shapes in the same process; np.dot of the same shapes (load $(load))"
  "$BIN/saex-bench" encode "$STD" "$ACTS" --batch "$BATCH" | tee "$WORK/enc_std_$TAG.json"
  "$BIN/saex-bench" encode "$COS" "$ACTS" --batch "$BATCH" --no-sgemm | tee "$WORK/enc_cos_$TAG.json"   # same shapes: one sgemm serves both
  ROWS=$(python3 -c "import json; print(json.load(open('$WORK/enc_std_$TAG.json'))['rows'])")
  "${NUMPY[@]}" bench/cache/numpy_sgemm.py $(( 2 * ROWS )) "$D_SAE" "$DIN" "$BATCH" | tee "$WORK/npdot_$TAG.txt"
  du -sb "$CACHE" | cut -f1 > "$WORK/size_$TAG.txt"

  python3 - "$WORK" "$TAG" "$DIN" "$D_SAE" "$TOKENS" "$BATCH" "$CACHE" "$LOAD0" "$LOAD_A" "$LOAD_B" "$AGREE" <<'PY'
import json, sys
sys.path.insert(0, 'bench')
from results import result_lines, json_line, max_rss_kib, numpy_blas, write
w, tag, din, dsae, tokens, batch, cache = sys.argv[1:8]
loads = [[float(x) for x in a.split()] for a in sys.argv[8:11]]
build = json_line(f'{w}/build_{tag}.json')
es, ec = json_line(f'{w}/enc_std_{tag}.json'), json_line(f'{w}/enc_cos_{tag}.json')
npr, npd = result_lines(f'{w}/np_{tag}.txt'), result_lines(f'{w}/npdot_{tag}.txt')
agree = open(f'{w}/agree_{tag}.txt').read().strip().splitlines()
rec = {
    'what': 'cache', 'd_in': int(din), 'd_sae': int(dsae), 'tokens': int(tokens), 'rows': es['rows'], 'batch': int(batch),
    'cache': cache, 'cache_bytes': int(open(f'{w}/size_{tag}.txt').read()),
    'load_before': loads[0], 'load_after_saex': loads[1], 'load_after_numpy': loads[2],
    'saex': {'build_seconds': build['build_seconds'], 'refresh_seconds': build['analysis_seconds'],
             'analysis_parts': build.get('analysis_parts', {}), 'estimated_analysis_seconds': build.get('estimated_analysis_seconds', -1),
             'max_rss_kib': max_rss_kib(f'{w}/time_{tag}.txt'), 'blas_core': build['blas_core'],
             'encode_seconds': {'std': es['encode_seconds'], 'cos': ec['encode_seconds']},
             'bare_sgemm_seconds': {'std': es['bare_sgemm_seconds'], 'cos': es['bare_sgemm_seconds']},  # one timing, same shapes
             'nonzeros': {'std': es['nonzeros'], 'cos': ec['nonzeros']}},
    'numpy': {'total_seconds': npr['numpy_total_seconds'], 'encode_seconds': npr['numpy_encode_seconds'],
              'npdot_in_peer_seconds': npr['numpy_npdot_seconds'], 'post_seconds': npr['numpy_post_seconds'],
              'load_seconds': npr['numpy_load_seconds'], 'max_rss_kib': max_rss_kib(f'{w}/time_np_{tag}.txt'),
              'dot_seconds': npd['numpy_dot_seconds'], 'dot_gflops': npd['numpy_dot_gflops'], 'blas': numpy_blas()},
    'agreement': {'ok': sys.argv[11] == '1', 'text': agree[-1] if agree else ''},
}
write(f'cache_{tag}', rec)
s = rec['saex']; enc = sum(s['encode_seconds'].values()); bare = sum(s['bare_sgemm_seconds'].values())
flops = 2.0 * 2 * rec['rows'] * int(din) * int(dsae)
print(f"cache build: saex {s['build_seconds']:.2f} s, numpy {rec['numpy']['total_seconds']:.2f} s, numpy/saex "
      f"{rec['numpy']['total_seconds'] / s['build_seconds']:.2f}x (target >= 1)")
print(f"encode, both dictionaries: {enc:.2f} s; bare sgemm {bare:.2f} s ({flops / bare / 1e9:.0f} GFLOP/s, {s['blas_core']}); "
      f"np.dot {npd['numpy_dot_seconds']:.2f} s ({npd['numpy_dot_gflops']:.0f} GFLOP/s); encode/sgemm {enc / bare:.2f}x (target <= 1.25)")
print(rec['agreement']['text'])
PY
  rm -rf "$CACHE.analysis"
  [ "${KEEP_CACHE:-0}" = 1 ] || rm -rf "$CACHE"
done
