#!/usr/bin/env bash
# Runs every test: unit tests of each library, end-to-end tests of the built binary (including the
# tmux real-terminal tests), the cluster test against a real single-node Slurm that it starts
# itself (scripts/slurm/test_slurm.sh; needs root, SAEX_SKIP_SLURM=1 skips it), and the Python
# activation bridge's tests (scripts/test_bridge.sh; its venv is made on first use,
# SAEX_SKIP_BRIDGE=1 skips them). Installs missing system packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
# The layout is the formatter's (.swift-format: 4-space indents, 140 columns): a file that
# `swift-format format -i -r Sources Tests` would change fails the run.
if ! command -v swift-format >/dev/null; then
  echo "test.sh: swift-format is missing; it ships with the Swift 6 toolchain (put its bin folder on PATH)" >&2
  exit 1
fi
swift-format lint --strict --recursive Sources Tests
# Our own files must compile without a warning (dependencies' warnings are theirs). A clean checkout
# compiles everything here, so every warning is printed once; an incremental build prints only
# those of the files it recompiles.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift build --build-tests 2>&1 | tee "$log"
if grep -E "^$PWD/(Sources|Tests|Package\.swift)[^ ]*: warning:" "$log" >&2; then
  echo "test.sh: the compiler warned about the files above; fix the warnings (the project builds without any)" >&2
  exit 1
fi
swift test "$@"
scripts/slurm/test_slurm.sh "$(swift build --show-bin-path)/saex"
scripts/test_bridge.sh
