#!/usr/bin/env bash
# Explorer benchmark (bench/ui_bench.md): saex-bench ui headless, release. No numpy peer: there is no
# numpy explorer; the targets are absolute (keystroke-to-frame p99 <= 10 ms with 131,072 features,
# open-to-first-frame <= 0.3 s on the demo).
#   bench/ui/run.sh [KEYS] [DEMO_RUNS]   (defaults 3000, 3) writes $RESULTS/ui_synthetic.json and ui_demo.json
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
KEYS=${1:-3000}; RUNS=${2:-3}
release_bin saex-bench
LOAD0=$(load)
echo "== explorer: 131,072 synthetic features, $KEYS keys (load $LOAD0)"
"$BIN/saex-bench" ui --features 131072 --keys "$KEYS" --json | tee "$RESULTS/.ui_synthetic.txt"
echo "== explorer: the demo cache, $RUNS runs of $(( KEYS * 2 / 3 )) keys"
: > "$RESULTS/.ui_demo.txt"
for _ in $(seq "$RUNS"); do
  "$BIN/saex-bench" ui --cache fixtures/demo/demo.saexcache --keys $(( KEYS * 2 / 3 )) --json | tee -a "$RESULTS/.ui_demo.txt"
done
python3 - "$RESULTS" "$LOAD0" <<'PY'
import json, sys
sys.path.insert(0, 'bench')
from results import write
r, load0 = sys.argv[1], [float(x) for x in sys.argv[2].split()]
write('ui_synthetic', dict(json.loads(open(f'{r}/.ui_synthetic.txt').read()), load_before=load0))
write('ui_demo', {'what': 'ui_demo', 'runs': [json.loads(l) for l in open(f'{r}/.ui_demo.txt') if l.startswith('{')], 'load_before': load0})
PY
