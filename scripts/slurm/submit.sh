#!/usr/bin/env bash
# Submits a sharded cache build to Slurm: an N-task job array of part builds, then a merge job
# that starts when every part succeeded (--dependency=afterok). Prints the two job ids.
#
#   scripts/slurm/submit.sh N PARTS CACHE BUILD-ARGS...
#
# e.g. scripts/slurm/submit.sh 8 parts/ corpus.saexcache --dict std=sae/std --dict cos=sae/cos \
#        --activations 'acts-*.safetensors' --vocab acts.tokenizer.json
# BUILD-ARGS are those of `saex cache build` without -o and --shard. Extra sbatch options (a
# partition, --time, --mem) go in $SBATCH_ARGS. The jobs run `saex` from PATH unless $SAEX is set
# (exported to the jobs). Slurm writes each job's output to PARTS/slurm-*.out.
set -euo pipefail
if [ $# -lt 4 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/slurm/submit.sh N PARTS CACHE BUILD-ARGS..." >&2
  exit 2
fi
N=$1; PARTS=$2; CACHE=$3; shift 3
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$PARTS"
read -r -a extra <<< "${SBATCH_ARGS:-}"
array=$(sbatch --parsable "${extra[@]}" --array=0-$((N - 1)) --output="$PARTS/slurm-%A_%a.out" \
  "$HERE/shard_build.sbatch" "$PARTS" "$@")
array=${array%%;*}
merge=$(sbatch --parsable "${extra[@]}" --dependency=afterok:"$array" --kill-on-invalid-dep=yes --output="$PARTS/slurm-%j-merge.out" \
  "$HERE/merge.sbatch" "$PARTS" "$N" "$CACHE")
merge=${merge%%;*}
echo "$array $merge"
