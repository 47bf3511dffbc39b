#!/usr/bin/env bash
# Cache-build benchmark: `saex cache build` (release) against a numpy peer doing the same work on the
# same files in the same run, plus bare sgemm of the encode shape in Swift and numpy, and the encoder
# alone (saex-bench encode). A benchmark, not a test.
#   bench/cache/run.sh [TOKENS] [D_INS]        defaults: 100000 "768 2304"; d_sae 16,384
# (a) times CacheBuilder.build through `saex-bench cache-build` (the work the numpy peer does, plus
# elasticity sums and writing the file); FULL_CLI=1 also times the whole `saex cache build`, which
# then runs AnalysisStore.refresh (see below: impractical beyond a few thousand tokens here).
# Data goes to ${TMPDIR:-/tmp}/saex-bench-cache (generated once per shape, reused).
set -euo pipefail
cd "$(dirname "$0")/../.."
TOKENS=${1:-100000}; D_INS=${2:-"768 2304"}; D_SAE=16384
WORK=${TMPDIR:-/tmp}/saex-bench-cache
mkdir -p "$WORK"
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "system OpenBLAS (Swift): $(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo unknown)"
python3 -c 'import numpy; print("numpy", numpy.__version__)'
python3 -c 'from threadpoolctl import threadpool_info; import numpy; print("numpy OpenBLAS:", [(i.get("version"), i.get("architecture"), i.get("num_threads")) for i in threadpool_info() if i.get("internal_api") == "openblas"])' 2>/dev/null || true
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}  OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-<unset>}"
echo "load average: $(load)"

# Two builds: --product may not be given twice.
swift build -c release --product saex >/dev/null
swift build -c release --product saex-bench >/dev/null
BIN=$(swift build -c release --show-bin-path)
SAEX=$BIN/saex; BENCH=$BIN/saex-bench
BATCH=$(( (256 << 20) / (12 * D_SAE) )); [ $BATCH -gt 4096 ] && BATCH=4096   # CacheBuilder's batch

for DIN in $D_INS; do
  echo
  echo "== d_in $DIN, d_sae $D_SAE, $TOKENS tokens"
  STD=$WORK/std_${DIN}; COS=$WORK/cos_${DIN}; ACTS=$WORK/acts_${DIN}_${TOKENS}.safetensors
  [ -f "$STD/cfg.json" ] || python3 bench/make_synthetic.py dict "$STD" --d-in "$DIN" --d-sae "$D_SAE" --kind standard
  [ -f "$COS/cfg.json" ] || python3 bench/make_synthetic.py dict "$COS" --d-in "$DIN" --d-sae "$D_SAE" --kind cosine
  [ -f "$ACTS" ] || python3 bench/make_synthetic.py acts "$ACTS" --d-in "$DIN" --tokens "$TOKENS"
  ROWS=$(( TOKENS / 128 * 128 ))
  CACHE=$WORK/cache_${DIN}_${TOKENS}.saexcache
  rm -rf "$CACHE"

  echo "-- (a) CacheBuilder.build (saex-bench cache-build; load $(load))"
  SAEX_BENCH_SKIP_ANALYSIS=1 /usr/bin/time -v -o "$WORK/time_${DIN}.txt" "$BENCH" cache-build "$CACHE" "$ACTS" "$ACTS.vocab.json" \
      std="$STD" cos="$COS" | tee "$WORK/build_${DIN}.json"
  SAEX_S=$(python3 -c "import json; print(json.load(open('$WORK/build_${DIN}.json'))['build_seconds'])")
  SAEX_RSS=$(awk -F: '/Maximum resident/ {print $2+0}' "$WORK/time_${DIN}.txt")
  echo "RESULT saex_cache_builder_seconds $SAEX_S"
  echo "RESULT saex_cache_builder_max_rss_kib $SAEX_RSS"
  du -sh "$CACHE" | sed 's/^/cache size: /'
  if [ "${FULL_CLI:-0}" = 1 ]; then
    # The whole command: CacheBuilder plus AnalysisStore.refresh (feature correlations and decoder
    # matching), whose correlation pass grows with (active features per token)^2. With these dense
    # synthetic dictionaries (47% / 14-17% of features active per token) 2,048 tokens at d_in 768
    # took 388 s, of which CacheBuilder 4.7 s (docs/PERFORMANCE.md); 100k tokens were not tried.
    echo "-- (a') saex cache build, whole command (load $(load))"
    rm -rf "$CACHE"
    /usr/bin/time -v -o "$WORK/time_cli_${DIN}.txt" "$SAEX" cache build --dict std="$STD" --dict cos="$COS" \
        --activations "$ACTS" --vocab "$ACTS.vocab.json" -o "$CACHE" 2>&1 | tr '\r' '\n' | grep -v '^ *$' | tail -1
    grep -E 'Elapsed|Maximum resident' "$WORK/time_cli_${DIN}.txt"
  fi

  echo "-- (b) numpy peer (load $(load))"
  /usr/bin/time -v -o "$WORK/time_np_${DIN}.txt" python3 bench/cache/numpy_cache.py "$ACTS" "$WORK/numpy_${DIN}.json" \
      std="$STD" cos="$COS" --batch "$BATCH" | tee "$WORK/np_${DIN}.txt"
  NP_RSS=$(awk -F: '/Maximum resident/ {print $2+0}' "$WORK/time_np_${DIN}.txt")
  echo "RESULT numpy_max_rss_kib $NP_RSS"

  echo "-- agreement: top-32 and bin counts of a few features, saex contexts --format json vs numpy"
  python3 bench/cache/compare.py "$SAEX" "$CACHE" "$WORK/numpy_${DIN}.json"

  echo "-- (c) encoder alone and bare sgemm, ${ROWS} x ${DIN} x ${D_SAE} per dictionary, batches of $BATCH (load $(load))"
  "$BENCH" encode "$STD" "$ACTS" --batch "$BATCH" | tee "$WORK/enc_std_${DIN}.json"
  "$BENCH" encode "$COS" "$ACTS" --batch "$BATCH" | tee "$WORK/enc_cos_${DIN}.json"
  "$BENCH" sgemm $(( 2 * ROWS )) "$D_SAE" "$DIN" --batch "$BATCH" | tee "$WORK/sgemm_${DIN}.json"
  python3 bench/cache/numpy_sgemm.py $(( 2 * ROWS )) "$D_SAE" "$DIN" "$BATCH" | tee "$WORK/npdot_${DIN}.txt"

  python3 - "$WORK" "$DIN" "$SAEX_S" "$SAEX_RSS" "$NP_RSS" <<'PY'
import json, sys
w, din, saex_s, saex_rss, np_rss = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
res = lambda p: {l.split()[1]: float(l.split()[2]) for l in open(p) if l.startswith('RESULT')}
npr = res(f'{w}/np_{din}.txt'); npd = res(f'{w}/npdot_{din}.txt')
es = json.load(open(f'{w}/enc_std_{din}.json')); ec = json.load(open(f'{w}/enc_cos_{din}.json'))
sg = json.load(open(f'{w}/sgemm_{din}.json'))
enc = es['encode_seconds'] + ec['encode_seconds']; bare_same = es['bare_sgemm_seconds'] + ec['bare_sgemm_seconds']
print(f"\n| d_in {din} | saex | numpy | numpy / saex |")
print("|---|---|---|---|")
print(f"| cache build (CacheBuilder.build), both dictionaries | {saex_s:.2f} s | {npr['numpy_total_seconds']:.2f} s | **{npr['numpy_total_seconds']/saex_s:.2f}x** |")
print(f"| max RSS | {saex_rss/1048576:.2f} GiB | {np_rss/1048576:.2f} GiB | |")
print(f"| encode only, both dictionaries | {enc:.2f} s | {npr['numpy_encode_seconds']:.2f} s (incl. nonzero collection) | |")
print(f"| bare sgemm, same shapes, 2 x rows | {sg['seconds']:.2f} s ({sg['gflops']:.0f} GFLOP/s) | np.dot {npd['numpy_dot_seconds']:.2f} s ({npd['numpy_dot_gflops']:.0f} GFLOP/s) | {npd['numpy_dot_seconds']/sg['seconds']:.2f}x |")
print(f"encode only / bare sgemm (saex-bench sgemm): {enc/sg['seconds']:.2f}x; / bare sgemm in the encode process: {enc/bare_same:.2f}x  (target <= 1.25x)")
print(f"cache build / bare sgemm: {saex_s/sg['seconds']:.2f}x; numpy np.dot inside the numpy peer: {npr['numpy_npdot_seconds']:.2f} s")
print(f"blas core (Swift): {sg['blas_core']}")
PY
  echo "load average after d_in $DIN: $(load)"
done
