#!/usr/bin/env bash
# Opens the explorer on the bundled demo data (fixtures/demo). Installs missing system packages
# and builds saex in release mode first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
swift build -c release --product saex >&2
exec .build/release/saex "$@"
