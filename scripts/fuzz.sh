#!/usr/bin/env bash
# Builds a libFuzzer target and runs it for SECONDS seconds.
#
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]      e.g. scripts/fuzz.sh formats 600
#
# TARGET is one of the targets of the saex-fuzz executable (formats, config, cache, labels,
# neuronpedia, saedashboard, delphi; Sources/Fuzz/Main.swift), passed to it as SAEX_FUZZ_TARGET. The
# build is release, in --scratch-path .build-fuzz, with the fuzzer and address sanitizers and
# -DFUZZING (docs/RELIABILITY.md).
# The run starts from fuzz/seeds/TARGET (checked in) and a growing corpus in fuzz-corpus/TARGET
# (not checked in); crash inputs are written to fuzz/crashes/TARGET/. Add each one to the tests.
# Inputs are at most 4096 bytes, except for the cache target (24576: a seed cache with two
# dictionaries and its analysis is 20.7 KB); FUZZ_MAX_LEN overrides either.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer options...]}
shift 2
product="saex-fuzz"

# -O keeps overflow checks and preconditions on, so the fuzzer sees them trap instead of
# silently wrapping.
swift build -c release --product "$product" --scratch-path .build-fuzz \
    --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -O

corpus="fuzz-corpus/$target"
crashes="fuzz/crashes/$target"
mkdir -p "$corpus" "$crashes"
case "$target" in
    cache) max_len=24576 ;;
    *) max_len=4096 ;;
esac
max_len=${FUZZ_MAX_LEN:-$max_len}
dict=()
[ -f "fuzz/$target.dict" ] && dict=("-dict=fuzz/$target.dict")

# SWIFT_BACKTRACE=enable=no: Swift's crash handler can otherwise hang for minutes on a crash.
# malloc_context_size=0: ASan records no stack per allocation (30 frames took about 8% of the cache
# target's time), so a report shows where memory was misused but not where it was allocated:
# replay the crash input with FUZZ_ASAN_OPTIONS=detect_leaks=1 to see that.
# quarantine_size_mb=16: freed memory is held back 16 MB deep instead of 256 MB, still enough to
# catch a use soon after a free. The two together took the delphi target from 1,703 to 1,947
# executions per second (two 40 s runs side by side), and its memory from 461 to 99 MB.
SAEX_FUZZ_TARGET="$target" SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=${FUZZ_ASAN_OPTIONS:-detect_leaks=1:malloc_context_size=0:quarantine_size_mb=16} \
    ".build-fuzz/release/$product" "$corpus" "fuzz/seeds/$target" \
    -use_value_profile=1 -max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
    -artifact_prefix="$crashes/" -print_final_stats=1 "${dict[@]}" "$@"
