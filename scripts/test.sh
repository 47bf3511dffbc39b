#!/usr/bin/env bash
# Runs every test: unit tests of each library, end-to-end tests of the built binary (including the
# tmux real-terminal tests), the cluster test against a real single-node Slurm that it starts
# itself (scripts/slurm/test_slurm.sh; needs root, SAEX_SKIP_SLURM=1 skips it), and the Python
# activation bridge's tests (scripts/test_bridge.sh; its venv is made on first use,
# SAEX_SKIP_BRIDGE=1 skips them). Installs missing system packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build
swift test "$@"
scripts/slurm/test_slurm.sh "$(swift build --show-bin-path)/saex"
scripts/test_bridge.sh
