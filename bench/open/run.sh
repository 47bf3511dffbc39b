#!/usr/bin/env bash
# Opening a dictionary and a cache: saex (saex-bench open / open-cache, release) against numpy peers
# that read the same bytes for the same checks (numpy_open.py), warm page cache, minimum of 5 runs.
#   bench/open/run.sh DICT_DIR CACHE     writes $RESULTS/open_dict.json and $RESULTS/open_cache.json
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
DICT=$1; CACHE=$2
release_bin saex-bench
for KIND in dict cache; do
  TARGET=$DICT; SUB=open; [ $KIND = cache ] && { TARGET=$CACHE; SUB=open-cache; }
  LOAD0=$(load)
  echo "== open $KIND $TARGET (load $LOAD0)"
  S=$("$BIN/saex-bench" $SUB "$TARGET" --repeat 5); echo "$S"
  P=$("${NUMPY[@]}" bench/open/numpy_open.py $KIND "$TARGET" --repeat 5); echo "$P"
  python3 - "$KIND" "$S" "$P" "$LOAD0" "$TARGET" <<'PY'
import json, os, sys
sys.path.insert(0, 'bench')
from results import write
kind, s, p, load0, target = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4], sys.argv[5]
write(f'open_{kind}', {'what': f'open_{kind}', 'target': target, 'saex': s, 'numpy': p, 'bytes_read': p['bytes_read'],
                       'load_before': [float(x) for x in load0.split()]})
print(f"open {kind}: saex {s.get('seconds_min', s.get('open_seconds_min')) * 1e3:.1f} ms, numpy {p['seconds_min'] * 1e3:.1f} ms, {p['bytes_read'] / 1e6:.0f} MB checked")
PY
done
