# Shared by the bench/*/run.sh scripts and bench/run_all.sh (sourced, not run).
# After `cd` to the repository root, defines:
#   RESULTS      where sub-benchmarks write their JSON (${TMPDIR:-/tmp}/saex-bench-results unless set)
#   SYNTH_DATA   synthetic dictionaries and activations (bench/make_synthetic.py), keyed by that
#                script's hash so a changed generator never reuses stale files
#   CACHE_WORK   the cache benchmark's caches and logs
#   NUMPY        the command for numpy peers: python3 with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
#                unset, so numpy's own OpenBLAS picks its kernels (saex's choice is its own business)
#   load         prints the 1, 5 and 15-minute load averages
#   print_machine
#   release_bin PRODUCT...   builds the products in release once (skipped when SAEX_BENCH_BIN is set,
#                as bench/run_all.sh does after one build) and sets BIN to the binary folder
RESULTS=${SAEX_BENCH_RESULTS:-${TMPDIR:-/tmp}/saex-bench-results}
mkdir -p "$RESULTS"
export SAEX_BENCH_RESULTS=$RESULTS
SYNTH_DATA=${TMPDIR:-/tmp}/saex-bench-data/$(md5sum bench/make_synthetic.py | cut -c1-8)
CACHE_WORK=${TMPDIR:-/tmp}/saex-bench-cache-work
NUMPY=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3)
load() { cut -d' ' -f1-3 /proc/loadavg; }

print_machine() {
  echo "== machine"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
  echo "system OpenBLAS (Swift): $(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo unknown)"
  "${NUMPY[@]}" bench/results.py numpy-blas
  echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}  OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-<unset>}"
  echo "load average: $(load)"
}

release_bin() {
  if [ -z "${SAEX_BENCH_BIN:-}" ]; then
    local p
    for p in "$@"; do swift build -c release --product "$p" >/dev/null; done  # --product may not be given twice
    SAEX_BENCH_BIN=$(swift build -c release --show-bin-path)
  fi
  BIN=$SAEX_BENCH_BIN
}
