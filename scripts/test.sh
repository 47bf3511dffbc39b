#!/usr/bin/env bash
# Runs every test: unit tests of each library, and end-to-end tests of the built binary
# (including the tmux real-terminal tests). Installs missing system packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build
swift test "$@"
