#!/usr/bin/env bash
# Runs every test: unit tests of each library, and end-to-end tests of the built binary
# (including the tmux real-terminal tests), then the cluster test against a real single-node
# Slurm that it starts itself (scripts/slurm/test_slurm.sh; needs root, SAEX_SKIP_SLURM=1 skips
# it). Installs missing system packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build
swift test "$@"
scripts/slurm/test_slurm.sh "$(swift build --show-bin-path)/saex"
