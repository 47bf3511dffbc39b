#!/usr/bin/env bash
# Analysis benchmark: Swift (saex-bench analysis, release) against numpy/scipy on the same work.
#   bench/analysis/run.sh [N_TOKENS] [N_FEATURES] [ACTIVE_PER_TOKEN] [MATCH_ROWS] [MATCH_DIM]
# Defaults: 1,000,000 tokens x 64 active per token over 16,384 features; matching 16,384 x 16,384 x 2,304.
# STEPS (default "stats match correlate") picks the steps; each writes $RESULTS/<step>_<size>.json
# (bench/lib.sh). SKIP_CORRELATION=1 drops the sparse activation-correlation step.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
N=${1:-1000000}; F=${2:-16384}; K=${3:-64}; ROWS=${4:-16384}; DIM=${5:-2304}
STEPS=${STEPS:-"stats match correlate"}
[ "${SKIP_CORRELATION:-0}" = 1 ] && STEPS=${STEPS//correlate/}
DATADIR=${TMPDIR:-/tmp}/saex-bench-data/analysis
WORK=${TMPDIR:-/tmp}/saex-bench-analysis-work
mkdir -p "$DATADIR" "$WORK"

[ -n "${SAEX_BENCH_BIN:-}" ] || print_machine
release_bin saex-bench
B=("$BIN/saex-bench" analysis)
DATA="$DATADIR/stats_${N}_${F}_${K}_$(md5sum bench/analysis/make_data.py | cut -c1-8).safetensors"
case " $STEPS " in *" stats "*|*" correlate "*) [ -f "$DATA" ] || python3 bench/analysis/make_data.py "$DATA" "$N" "$F" "$K" ;; esac
summary() { python3 bench/analysis/summary.py "$@"; }

for STEP in $STEPS; do
  LOAD0=$(load)
  case $STEP in
  stats)
    echo "== (a) per-feature statistics, $N tokens x $F features (load $(load))"
    "${B[@]}" stats "$DATA" "$WORK/swift_stats.f32" | tee "$WORK/stats_swift.txt"
    "${NUMPY[@]}" bench/analysis/numpy_stats.py "$DATA" "$WORK/numpy_stats.f32" | tee "$WORK/stats_numpy.txt"
    AGREE=1; python3 bench/analysis/compare.py "$WORK/swift_stats.f32" "$WORK/numpy_stats.f32" "$F" > "$WORK/stats_agree.txt" || AGREE=0
    cat "$WORK/stats_agree.txt"
    summary stats "$WORK" "$DATA" "$N" "$F" "$K" "$LOAD0" "$AGREE" ;;
  match)
    echo "== (b) decoder matching ${ROWS}x${ROWS}x${DIM} (load $(load))"
    "${B[@]}" match "$ROWS" "$DIM" 2048 | tee "$WORK/match_swift.txt"
    "${NUMPY[@]}" bench/analysis/numpy_match.py "$ROWS" "$DIM" | tee "$WORK/match_numpy.txt"
    summary match "$WORK" "$ROWS" "$DIM" "$LOAD0" ;;
  correlate)
    echo "== (c) sparse activation-correlation top-5, ${F} x ${F} features over $N tokens (load $(load))"
    "${B[@]}" correlate "$DATA" "$WORK/corr_swift.f32" | tee "$WORK/corr_swift.txt"
    "${NUMPY[@]}" bench/analysis/numpy_correlate.py "$DATA" "$WORK/corr_numpy.f32" | tee "$WORK/corr_numpy.txt"
    summary correlate "$WORK" "$DATA" "$N" "$F" "$K" "$LOAD0" ;;
  esac
done
echo "load average after: $(load)"
