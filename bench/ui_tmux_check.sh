#!/usr/bin/env bash
# Real-terminal checks of the explorer under tmux (fzf/tig style): drives the interactive demo
# (saex-bench ui --interactive) with send-keys, polls capture-pane with a timeout, and checks that
# the terminal is restored (alternate screen off, canonical mode back) after q and after signals.
# Usage: bench/ui_tmux_check.sh   (builds the debug binary first). Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product saex-bench >/dev/null
BIN="$(swift build --show-bin-path)/saex-bench"
T=(tmux -L saex-ui-check -f /dev/null)
cleanup() { "${T[@]}" kill-server 2>/dev/null || true; }
trap cleanup EXIT
"${T[@]}" new-session -d -s keep -x 20 -y 5 "sleep 600"

fail() { echo "FAIL: $1"; echo "---- pane ----"; "${T[@]}" capture-pane -p -t "$2" || true; exit 1; }
wait_for() {  # session, fixed string, timeout seconds
  local end=$((SECONDS + ${3:-5}))
  while (( SECONDS < end )); do
    "${T[@]}" capture-pane -p -t "$1" | grep -qF -- "$2" && return 0
    sleep 0.1
  done
  fail "timed out waiting for '$2'" "$1"
}
start() {  # session, extra env...
  local s=$1; shift
  "${T[@]}" new-session -d -s "$s" -x 100 -y 30 -e LANG=C.UTF-8 "$@" \
    "$BIN ui --interactive --hostile; echo EXIT=\$?; stty -a | grep -o -- '-\\?icanon' | head -1; sleep 60"
  wait_for "$s" "LIST"
}

start main
"${T[@]}" send-keys -t main j j Enter
wait_for main "Top contexts"
"${T[@]}" send-keys -t main Escape 1
wait_for main "saved"
"${T[@]}" capture-pane -p -t main | grep -q " INT " || fail "verdict mark not shown" main
"${T[@]}" resize-window -t main -x 35 -y 8
wait_for main "terminal too small"
"${T[@]}" resize-window -t main -x 100 -y 30
wait_for main "feature↑"
"${T[@]}" send-keys -t main q
wait_for main "EXIT=0"
[[ "$("${T[@]}" display -p -t main '#{alternate_on}')" == 0 ]] || fail "alternate screen left on" main
"${T[@]}" capture-pane -p -t main | grep -qx "icanon" || fail "terminal modes not restored" main
echo "ok: navigation, labels, resize, quit"

for sig in TERM INT HUP; do
  start "s$sig"
  pid=$(pgrep -P "$("${T[@]}" display -p -t "s$sig" '#{pane_pid}')")
  kill -"$sig" "$pid"
  wait_for "s$sig" "EXIT="
  [[ "$("${T[@]}" display -p -t "s$sig" '#{alternate_on}')" == 0 ]] || fail "alternate screen left on after SIG$sig" "s$sig"
  "${T[@]}" capture-pane -p -t "s$sig" | grep -qx "icanon" || fail "terminal modes not restored after SIG$sig" "s$sig"
  echo "ok: SIG$sig restores the terminal ($("${T[@]}" capture-pane -p -t "s$sig" | grep EXIT=))"
done

start mono -e NO_COLOR=1
"${T[@]}" capture-pane -p -e -t mono | grep -q $'\e\[38;5' && fail "NO_COLOR still uses colours" mono
echo "ok: NO_COLOR is monochrome"
echo "all tmux checks passed"
