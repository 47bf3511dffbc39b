#!/usr/bin/env bash
# Runs the Python activation bridge's tests (scripts/bridge_tests, pytest) in the bridge venv, which
# scripts/bridge_env.sh makes on first use (about 2 minutes and 6 GB; reused afterwards). Needs
# .build/debug/saex, so scripts/test.sh runs it after `swift build`. SAEX_SKIP_BRIDGE=1 skips it
# with a visible line. Extra arguments go to pytest (e.g. -k minilm).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${SAEX_SKIP_BRIDGE:-0}" = "1" ]; then
    echo "SKIPPED: bridge tests (SAEX_SKIP_BRIDGE=1)"
    exit 0
fi
venv=$(SAEX_BRIDGE_FAIL_HINT="the bridge tests cannot run (set SAEX_SKIP_BRIDGE=1 to skip them)" scripts/bridge_env.sh)
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false PYTHONDONTWRITEBYTECODE=1
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider scripts/bridge_tests "$@"
