#!/usr/bin/env bash
# Analysis benchmark: Swift (saex-bench-analysis, release) against numpy/scipy on the same work.
#   bench/analysis/run.sh [N_TOKENS] [N_FEATURES] [ACTIVE_PER_TOKEN] [MATCH_ROWS] [MATCH_DIM]
# Defaults: 1,000,000 tokens x 64 active per token over 16,384 features; matching 16,384 x 16,384 x 2,304.
# Set SKIP_CORRELATION=1 to skip the (informational) sparse activation-correlation timing.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}; F=${2:-16384}; K=${3:-64}; ROWS=${4:-16384}; DIM=${5:-2304}
WORK=${TMPDIR:-/tmp}/saex-bench-analysis
mkdir -p "$WORK"

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "system OpenBLAS (Swift): $(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo unknown)"
python3 -c 'import numpy, scipy; print("numpy", numpy.__version__, "scipy", scipy.__version__)'
python3 -c 'import numpy; c = numpy.show_config(mode="dicts"); b = c["Build Dependencies"]["blas"]; print("numpy BLAS:", b.get("name"), b.get("version"))' 2>/dev/null || true
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}  OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-<unset>}"
# Debian's OpenBLAS 0.3.21 detects this VM's CPU as Prescott (no AVX kernels, ~10x slower sgemm)
# unless OPENBLAS_CORETYPE is set; numpy's own OpenBLAS detects SkylakeX. Show what each uses.
python3 - <<'PY' || true
import ctypes
for name, path in [("system OpenBLAS core", "libopenblas.so.0")]:
    lib = ctypes.CDLL(path); lib.openblas_get_corename.restype = ctypes.c_char_p
    print(f"{name}: {lib.openblas_get_corename().decode()}")
try:
    from threadpoolctl import threadpool_info
    print("numpy OpenBLAS core:", [i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas"])
except Exception:
    pass
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

swift build -c release --product saex-bench-analysis >/dev/null
BIN=$(swift build -c release --show-bin-path)/saex-bench-analysis

DATA="$WORK/stats_${N}_${F}_${K}.safetensors"
[ -f "$DATA" ] || python3 bench/analysis/make_data.py "$DATA" "$N" "$F" "$K"

echo "== (a) per-feature statistics"
"$BIN" stats "$DATA" "$WORK/swift_stats.f32" | tee "$WORK/a_swift.txt"
python3 bench/analysis/numpy_stats.py "$DATA" "$WORK/numpy_stats.f32" | tee "$WORK/a_numpy.txt"
python3 bench/analysis/compare.py "$WORK/swift_stats.f32" "$WORK/numpy_stats.f32" "$F"
get() { grep "^RESULT $1 " "$2" | awk '{print $3}'; }
S1=$(get swift_stats_seconds_1t "$WORK/a_swift.txt"); SA=$(get swift_stats_seconds_all "$WORK/a_swift.txt")
NP=$(get numpy_stats_seconds "$WORK/a_numpy.txt")
python3 -c "print(f'stats: numpy {$NP:.2f} s / Swift {$SA:.2f} s (all threads) = {$NP/$SA:.1f}x; / Swift {$S1:.2f} s (1 thread) = {$NP/$S1:.1f}x  (target >= 5x)')"

echo "== (b) decoder matching ${ROWS}x${ROWS}x${DIM}"
"$BIN" match "$ROWS" "$DIM" 2048 | tee "$WORK/b_swift.txt"
python3 bench/analysis/numpy_match.py "$ROWS" "$DIM" | tee "$WORK/b_numpy.txt"
SG=$(get swift_bare_sgemm_seconds "$WORK/b_swift.txt"); SM=$(get swift_match_seconds "$WORK/b_swift.txt")
NG=$(get numpy_sgemm_seconds "$WORK/b_numpy.txt")
python3 -c "print(f'matching: Swift {$SM:.2f} s / bare Swift sgemm {$SG:.2f} s = {$SM/$SG:.2f}x; / numpy np.dot {$NG:.2f} s = {$SM/$NG:.2f}x  (target <= 1.2x)')"

if [ "${SKIP_CORRELATION:-0}" != 1 ]; then
  echo "== (c) sparse activation-correlation top-5, ${F} x ${F} features over the same sample (informational)"
  "$BIN" correlate "$DATA"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
