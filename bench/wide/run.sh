#!/usr/bin/env bash
# Wide dictionaries (a benchmark, not a test). Two modes:
#   bench/wide/run.sh pair [D_SAE] [D_IN] [TOKENS]       defaults: 65536 2304 50000
#       A standard and a cosine dictionary with structured decoders (make_synthetic.py --structure
#       families) and tokens of equal norm (acts --flat-norm): (a) `saex-bench cache-build` without the analysis, beside numpy_cache.py (the
#       cache benchmark's peer), max RSS of both; (b) the analysis with exact matching, then with
#       approximate matching (`saex-bench analysis-refresh --exact / --approximate`), each part timed,
#       with the plan's estimates; (c) recall.py: recall of the exact top-1 and top-5 by the
#       approximate lists, numpy's check of the exact lists on a sample and numpy's time for the
#       products; (d) cache open beside numpy_open.py; (e) the explorer on the cache (`saex-bench ui
#       --cache`), max RSS. Writes $RESULTS/wide_<d_sae>.json.
#   bench/wide/run.sh million [D_SAE] [D_IN] [TOKENS] [KEYS]   defaults: 1048576 768 4096 3000
#       A real cache of a pair of D_SAE-feature dictionaries (structured, 6.4 GB each at d_in 768),
#       built by `saex cache build` (encode, then the analysis the plan chooses: approximate; the
#       whole command is timed), the analysis once more by `saex-bench analysis-refresh` to time its
#       parts, then the explorer on it (`saex-bench ui --cache --json`, open-to-first-frame, keystroke-to-frame,
#       first sort) with its max RSS beside the sizes of the files it maps, and cache open. Writes
#       $RESULTS/million.json. Takes about an hour and 16 GB of disk (bench/run_all.sh --million).
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
MODE=${1:-pair}
WORK=${TMPDIR:-/tmp}/saex-bench-wide-work
mkdir -p "$SYNTH_DATA" "$WORK"
[ -n "${SAEX_BENCH_BIN:-}" ] || print_machine
release_bin saex saex-bench

prepare() {  # prepare MODE D_IN D_SAE TOKENS: sets TAG, STD, COS (family dictionaries) and ACTS (tokens of equal
             # norm), made once, CACHE (a leftover one removed) and LOAD0
  local kind
  TAG=${2}_${3}_${4}
  for kind in standard cosine; do
    local dir=$SYNTH_DATA/fam_${kind}_$2_$3
    [ -f "$dir/cfg.json" ] || python3 bench/make_synthetic.py dict "$dir" --d-in "$2" --d-sae "$3" --kind $kind --structure families
    [ $kind = standard ] && STD=$dir || COS=$dir
  done
  ACTS=$SYNTH_DATA/flatacts_$2_$4.safetensors
  [ -f "$ACTS" ] || python3 bench/make_synthetic.py acts "$ACTS" --d-in "$2" --tokens "$4" --flat-norm
  CACHE=$WORK/$1_$TAG.saexcache
  rm -f "$CACHE" "$CACHE.analysis"
  LOAD0=$(load)
}

if [ "$MODE" = pair ]; then
  D_SAE=${2:-65536}; D_IN=${3:-2304}; TOKENS=${4:-50000}
  prepare wide "$D_IN" "$D_SAE" "$TOKENS"
  echo "== (a) cache build, 2 x $D_SAE features, d_in $D_IN, $TOKENS tokens (load $(load))"
  SAEX_BENCH_SKIP_ANALYSIS=1 /usr/bin/time -v -o "$WORK/time_build_$TAG.txt" "$BIN/saex-bench" cache-build "$CACHE" "$ACTS" \
      "$ACTS.vocab.json" std="$STD" cos="$COS" | tee "$WORK/build_$TAG.json"
  BATCH=$(( (256 << 20) / (12 * D_SAE) )); [ $BATCH -gt 4096 ] && BATCH=4096; [ $BATCH -lt 1 ] && BATCH=1
  echo "-- numpy peer (load $(load))"
  /usr/bin/time -v -o "$WORK/time_np_$TAG.txt" "${NUMPY[@]}" bench/cache/numpy_cache.py "$ACTS" "$WORK/numpy_$TAG.json" \
      std="$STD" cos="$COS" --batch "$BATCH" | tee "$WORK/np_$TAG.txt"
  echo "== (b) analysis, exact matching (load $(load))"
  "$BIN/saex-bench" analysis-refresh "$CACHE" --exact | tee "$WORK/exact_$TAG.json"
  cp "$CACHE.analysis" "$WORK/exact_$TAG.analysis"
  echo "== (b) analysis, approximate matching (load $(load))"
  "$BIN/saex-bench" analysis-refresh "$CACHE" --approximate | tee "$WORK/approx_$TAG.json"
  echo "== (c) recall, and numpy's check of the exact lists (load $(load))"
  "${NUMPY[@]}" bench/wide/recall.py "$WORK/exact_$TAG.analysis" "$CACHE.analysis" "$STD" "$COS" | tee "$WORK/recall_$TAG.json"
  echo "== (d) cache open (load $(load))"
  "$BIN/saex-bench" open-cache "$CACHE" --repeat 5 | tee "$WORK/open_$TAG.json"
  "${NUMPY[@]}" bench/open/numpy_open.py cache "$CACHE" --repeat 5 | tee "$WORK/npopen_$TAG.json"
  echo "== (e) explorer (load $(load))"
  /usr/bin/time -v -o "$WORK/time_ui_$TAG.txt" "$BIN/saex-bench" ui --cache "$CACHE" --keys "${KEYS:-3000}" --json | tee "$WORK/ui_$TAG.json"
  python3 - "$WORK" "$TAG" "$D_SAE" "$D_IN" "$TOKENS" "$CACHE" "$LOAD0" <<'PY'
import json, os, sys
sys.path.insert(0, 'bench')
from results import json_line, result_lines, max_rss_kib, write
w, tag, dsae, din, tokens, cache, load0 = sys.argv[1:8]
npr = result_lines(f'{w}/np_{tag}.txt')
rec = {'what': 'wide', 'd_sae': int(dsae), 'd_in': int(din), 'tokens': int(tokens), 'load_before': [float(x) for x in load0.split()],
       'build': json_line(f'{w}/build_{tag}.json'), 'build_max_rss_kib': max_rss_kib(f'{w}/time_build_{tag}.txt'),
       'numpy_build_seconds': npr['numpy_total_seconds'], 'numpy_encode_seconds': npr['numpy_encode_seconds'],
       'numpy_max_rss_kib': max_rss_kib(f'{w}/time_np_{tag}.txt'),
       'exact': json_line(f'{w}/exact_{tag}.json'), 'approximate': json_line(f'{w}/approx_{tag}.json'),
       'recall': json_line(f'{w}/recall_{tag}.json'), 'open': json_line(f'{w}/open_{tag}.json'), 'numpy_open': json_line(f'{w}/npopen_{tag}.json'),
       'ui': json_line(f'{w}/ui_{tag}.json'), 'ui_max_rss_kib': max_rss_kib(f'{w}/time_ui_{tag}.txt'),
       'cache_bytes': os.path.getsize(cache), 'analysis_bytes': os.path.getsize(cache + '.analysis')}
write(f'wide_{dsae}', rec)
r = rec['recall']['recall']
print(f"exact analysis {rec['exact']['analysis_seconds']:.1f} s, approximate {rec['approximate']['analysis_seconds']:.1f} s; "
      f"top-1 recall {min(v['top1'] for v in r.values()):.3f} to {max(v['top1'] for v in r.values()):.3f}")
PY
  rm -f "$CACHE" "$CACHE.analysis" "$WORK/exact_$TAG.analysis"
  exit 0
fi

[ "$MODE" = million ] || { echo "usage: bench/wide/run.sh pair|million [D_SAE] [D_IN] [TOKENS]" >&2; exit 2; }
D_SAE=${2:-1048576}; D_IN=${3:-768}; TOKENS=${4:-4096}; KEYS=${5:-3000}
prepare million "$D_IN" "$D_SAE" "$TOKENS"
echo "== saex cache build, 2 x $D_SAE features, d_in $D_IN, $TOKENS tokens (load $(load))"
S0=$(date +%s.%N)
/usr/bin/time -v -o "$WORK/time_build_$TAG.txt" "$BIN/saex" cache build --dict std="$STD" --dict cos="$COS" --activations "$ACTS" \
    --vocab "$ACTS.vocab.json" -o "$CACHE" 2>&1 | tee "$WORK/build_$TAG.txt"
S1=$(date +%s.%N)
echo "== the analysis again, each part timed (load $(load))"
"$BIN/saex-bench" analysis-refresh "$CACHE" | tee "$WORK/analysis_$TAG.json"
echo "== cache open (load $(load))"
"$BIN/saex-bench" open-cache "$CACHE" --repeat 5 | tee "$WORK/open_$TAG.json"
echo "== explorer, $KEYS keys (load $(load))"
/usr/bin/time -v -o "$WORK/time_ui_$TAG.txt" "$BIN/saex-bench" ui --cache "$CACHE" --keys "$KEYS" --json | tee "$WORK/ui_$TAG.json"
python3 - "$WORK" "$TAG" "$D_SAE" "$D_IN" "$TOKENS" "$CACHE" "$LOAD0" "$S0" "$S1" <<'PY'
import json, os, sys
sys.path.insert(0, 'bench')
from results import json_line, max_rss_kib, write
w, tag, dsae, din, tokens, cache, load0, s0, s1 = sys.argv[1:10]
log = open(f'{w}/build_{tag}.txt').read().splitlines()
rec = {'what': 'million', 'd_sae': int(dsae), 'd_in': int(din), 'tokens': int(tokens), 'load_before': [float(x) for x in load0.split()],
       'build_seconds': float(s1) - float(s0), 'build_max_rss_kib': max_rss_kib(f'{w}/time_build_{tag}.txt'),
       'analysis': json_line(f'{w}/analysis_{tag}.json'),
       'plan': next((l for l in log if l.startswith('analysis of')), ''),
       'open': json_line(f'{w}/open_{tag}.json'), 'ui': json_line(f'{w}/ui_{tag}.json'), 'ui_max_rss_kib': max_rss_kib(f'{w}/time_ui_{tag}.txt'),
       'cache_bytes': os.path.getsize(cache), 'analysis_bytes': os.path.getsize(cache + '.analysis')}
write('million', rec)
u = rec['ui']
mapped = (rec['cache_bytes'] + rec['analysis_bytes']) / 2**20
print(f"open-to-first-frame {u['open_to_first_frame_ms']:.0f} ms, keystroke p99 {u['key_p99_ms']:.2f} ms, first sort {u['first_sort_ms']:.0f} ms, "
      f"max RSS {rec['ui_max_rss_kib'] / 1024:.0f} MiB for {mapped:.0f} MiB of mapped files")
PY
[ "${KEEP_CACHE:-0}" = 1 ] || rm -f "$CACHE" "$CACHE.analysis"
