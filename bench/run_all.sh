#!/usr/bin/env bash
# Runs every benchmark in bench/ and writes docs/PERFORMANCE.md from the results.
#   bench/run_all.sh            full sizes (about 30-50 minutes on a shared 2-core machine)
#   bench/run_all.sh --quick    small sizes, a few minutes: checks the pipeline, figures mean little
# Options: --no-render (results only), --doc PATH (render there instead of docs/PERFORMANCE.md),
#   --million (also the real million-feature cache in the explorer, bench/wide/run.sh million: about
#   an hour more and 16 GB of disk; with --quick, 2 x 131,072 features),
#   --memory-1m (add the 1,000,000-token point of the memory benchmark, about 20 more minutes; its
#   result is kept in bench/last/ and shown, marked as earlier, by runs without the flag).
# Each saex figure is measured next to its numpy peer and its limit (bare sgemm in Swift and numpy,
# memory bandwidth) in the same run. Every sub-benchmark writes JSON to $RESULTS (bench/lib.sh:
# ${TMPDIR:-/tmp}/saex-bench-results, or -quick); bench/render_performance.py turns those and the
# prose in bench/PERFORMANCE.template.md into the document. A benchmark, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=full; RENDER=1; DOC=docs/PERFORMANCE.md; MILLION=0; MEM1M=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) MODE=quick ;;
    --no-render) RENDER=0 ;;
    --doc) DOC=$2; shift ;;
    --million) MILLION=1 ;;
    --memory-1m) MEM1M=1 ;;
    *) echo "usage: bench/run_all.sh [--quick] [--no-render] [--doc PATH] [--million] [--memory-1m]" >&2; exit 2 ;;
  esac
  shift
done
COMMAND=bench/run_all.sh; SUFFIX=
[ $MODE = quick ] && { COMMAND="$COMMAND --quick"; SUFFIX=-quick; }
[ $MILLION = 1 ] && COMMAND="$COMMAND --million"
[ $MEM1M = 1 ] && COMMAND="$COMMAND --memory-1m"
export SAEX_BENCH_RESULTS=${TMPDIR:-/tmp}/saex-bench-results$SUFFIX
rm -rf "$SAEX_BENCH_RESULTS"
source bench/lib.sh
exec > >(tee "$RESULTS/run_all.log") 2>&1

if [ $MODE = full ]; then
  TOKENS=100000; D_INS="768 2304"; D_SAE=16384            # headline cache builds
  SCALE_DIN=768; SCALE_DSAE="4096 8192"; SCALE_DSAE_TOKENS=50000    # plus d_sae 16,384 from the token series
  SCALE_TOKENS="25000 50000"                                         # plus the headline point
  STATS_N="250000 500000 1000000"; CORR_N=250000; FEATURES=16384
  MATCH_ROWS="4096 8192 16384"; MATCH_DIM=2304
  UI_KEYS=3000; UI_RUNS=3; PAIRS_KEYS=2000; BW_MIB=1024; LOGIT_VOCAB=50257   # GPT-2 small's vocabulary
  WIDE="65536 2304 50000"; MILLION_SIZE="1048576 768 4096"
  MEMORY_TOKENS="100000 400000"; [ $MEM1M = 1 ] && MEMORY_TOKENS="$MEMORY_TOKENS 1000000"
else
  TOKENS=8192; D_INS="768 2304"; D_SAE=4096
  SCALE_DIN=768; SCALE_DSAE="1024 2048"; SCALE_DSAE_TOKENS=4096
  SCALE_TOKENS="2048 4096"
  STATS_N="25000 50000 100000"; CORR_N=25000; FEATURES=4096
  MATCH_ROWS="1024 2048 4096"; MATCH_DIM=768
  MEMORY_TOKENS="8192 32768"
  LOGIT_VOCAB=8192
  UI_KEYS=606; UI_RUNS=1; PAIRS_KEYS=400; BW_MIB=512   # 606 keys stop the 18-key script where 3,000 do, so the sorts start from the same view
  WIDE="8192 768 4096"; MILLION_SIZE="131072 768 2048"
fi
cat > "$RESULTS/plan.json" <<JSON
{"mode": "$MODE", "tokens": $TOKENS, "d_ins": [${D_INS// /, }], "d_sae": $D_SAE, "scale_d_in": $SCALE_DIN,
 "scale_d_sae": [${SCALE_DSAE// /, }, $D_SAE], "scale_d_sae_tokens": $SCALE_DSAE_TOKENS, "scale_tokens": [${SCALE_TOKENS// /, }, $TOKENS],
 "stats_tokens": [${STATS_N// /, }], "correlate_tokens": $CORR_N, "features": $FEATURES,
 "match_rows": [${MATCH_ROWS// /, }], "match_dim": $MATCH_DIM, "ui_keys": $UI_KEYS, "ui_demo_runs": $UI_RUNS,
 "wide": [${WIDE// /, }], "million": $([ $MILLION = 1 ] && echo "[${MILLION_SIZE// /, }]" || echo null)}
JSON

python3 bench/results.py machine "$RESULTS/machine.json" "$MODE" "$COMMAND"
print_machine
T0=$SECONDS
step() { echo; echo "######## $* ($(date -u +%H:%M:%S), $((SECONDS - T0)) s in, load $(load))"; }

step "release build (once, reused by every step)"
B0=$SECONDS
swift build -c release 2>&1 | grep -E "error|warning: unre|Compiling|Build complete" | tail -3
export SAEX_BENCH_BIN; SAEX_BENCH_BIN=$(swift build -c release --show-bin-path)
echo "build: $((SECONDS - B0)) s"
"$SAEX_BENCH_BIN/saex-bench" sgemm 512 512 512 > "$RESULTS/swift_blas.json"   # records the OpenBLAS core saex runs

step "memory bandwidth"
bench/bandwidth/run.sh "$BW_MIB"

step "cache build and its analysis, headline: $TOKENS tokens, d_in $D_INS, d_sae $D_SAE"
REFRESH=1 KEEP_CACHE=1 bench/cache/run.sh "$TOKENS" "$D_INS" "$D_SAE"

step "cache build from sparse feature activations (--feature-acts): $TOKENS tokens, d_in ${D_INS%% *}, d_sae $D_SAE"
bench/cache/feature_acts.sh "$TOKENS" "${D_INS%% *}" "$D_SAE"

step "logit effects (--unembed): d_sae $D_SAE, d_model 768, $LOGIT_VOCAB tokens"
bench/logits/run.sh 768 "$LOGIT_VOCAB" "$D_SAE"

step "opening a dictionary and a cache"
FIRST_DIN=${D_INS%% *}; LAST_DIN=${D_INS##* }
bench/open/run.sh "$SYNTH_DATA/std_${LAST_DIN}_${D_SAE}" "$CACHE_WORK/cache_${FIRST_DIN}_${D_SAE}_${TOKENS}.saexcache"
rm -rf "$CACHE_WORK/cache_"*"_${D_SAE}_${TOKENS}.saexcache"

for DS in $SCALE_DSAE; do
  step "cache build scaling with d_sae: $DS"
  bench/cache/run.sh "$SCALE_DSAE_TOKENS" "$SCALE_DIN" "$DS"
done
for TK in $SCALE_TOKENS; do
  step "cache build scaling with tokens: $TK"
  bench/cache/run.sh "$TK" "$SCALE_DIN" "$D_SAE"
done

step "cache build memory: $MEMORY_TOKENS tokens"
bench/cache/memory.sh $MEMORY_TOKENS
if [ $MODE = full ] && [ $MEM1M = 1 ]; then
  mkdir -p bench/last && cp "$RESULTS/memory_1000000.json" bench/last/
fi

for N in $STATS_N; do
  step "per-feature statistics: $N tokens"
  STEPS=stats bench/analysis/run.sh "$N" "$FEATURES" 64
done
step "activation correlation: $CORR_N tokens"
STEPS=correlate bench/analysis/run.sh "$CORR_N" "$FEATURES" 64
for R in $MATCH_ROWS; do
  step "decoder matching: $R x $R x $MATCH_DIM"
  STEPS=match bench/analysis/run.sh 0 "$FEATURES" 64 "$R" "$MATCH_DIM"
done

step "explorer"
bench/ui/run.sh "$UI_KEYS" "$UI_RUNS"
step "the pairs screen and compare"
bench/ui/pairs.sh "$PAIRS_KEYS" "$UI_RUNS" "$D_SAE" "$TOKENS"

step "wide dictionaries: a pair of ${WIDE%% *} features, exact and approximate matching"
KEYS=$UI_KEYS bench/wide/run.sh pair $WIDE
if [ $MILLION = 1 ]; then
  step "a real cache of ${MILLION_SIZE%% *} features in the explorer"
  bench/wide/run.sh million $MILLION_SIZE "$UI_KEYS"
fi

python3 bench/results.py finish "$RESULTS/machine.json"
step "done: results in $RESULTS"
if [ $RENDER = 1 ]; then
  python3 bench/render_performance.py "$RESULTS" "$DOC"
  echo "wrote $DOC"
fi
