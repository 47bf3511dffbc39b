#!/usr/bin/env bash
# Memory bandwidth of this machine, the limit for memory-bound steps (cache open, dictionary open,
# statistics): STREAM-style copy/triad in Swift (saex-bench stream, 1 thread and every core) and
# copy/add in numpy, over arrays far larger than the caches.
#   bench/bandwidth/run.sh [MIB_PER_ARRAY]     (default 1024) writes $RESULTS/bandwidth.json
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
MIB=${1:-1024}
release_bin saex-bench
LOAD0=$(load)
echo "== memory bandwidth, ${MIB} MiB arrays (load $LOAD0)"
S=$("$BIN/saex-bench" stream --mib "$MIB" --repeat 5); echo "$S"
P=$("${NUMPY[@]}" bench/bandwidth/numpy_stream.py "$MIB" 5); echo "$P"
python3 - "$S" "$P" "$LOAD0" <<'PY'
import json, sys
sys.path.insert(0, 'bench')
from results import write
s, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
best = max(s['copy_gbs_1t'], s['triad_gbs_1t'], s['copy_gbs_all'], s['triad_gbs_all'], p['copy_gbs'], p['add_gbs'])
write('bandwidth', {'what': 'bandwidth', 'swift': s, 'numpy': p, 'best_gbs': best,
                    'load_before': [float(x) for x in sys.argv[3].split()]})
print(f"bandwidth: best {best:.1f} GB/s (Swift triad 1 thread {s['triad_gbs_1t']:.1f}, all {s['triad_gbs_all']:.1f}; "
      f"numpy copy {p['copy_gbs']:.1f}, add {p['add_gbs']:.1f})")
PY
