#!/usr/bin/env bash
# Installs what saex needs on a fresh Debian machine; safe to run again (it only installs what is
# missing). Used by scripts/demo.sh, scripts/test.sh and CI.
set -euo pipefail

# python3-venv: scripts/bridge_env.sh makes the Python bridge's venv with `python3 -m venv`.
# slurmctld, slurmd, slurm-client and munge: the cluster test starts a private single-node Slurm.
packages=(libncursesw5-dev libopenblas-dev zlib1g-dev pkg-config tmux python3-venv slurmctld slurmd slurm-client munge)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bootstrap: installing ${missing[*]}" >&2
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi
if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        echo "bootstrap: swift is at /opt/swift/usr/bin; add it to PATH" >&2
    else
        echo "bootstrap: Swift 6 is required (https://www.swift.org/install/linux/); it is not on PATH" >&2
    fi
    exit 1
fi
