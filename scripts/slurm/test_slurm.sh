#!/usr/bin/env bash
# End-to-end test of the cluster path against a real single-node Slurm that this script starts
# itself (Debian's munge, slurmctld, slurmd; scripts/bootstrap.sh installs them): a 4-part job-array
# build of the demo plus the merge job (scripts/slurm/submit.sh), then a check that the merged cache
# is byte for byte the cache of a single `saex cache build`.
#
#   scripts/slurm/test_slurm.sh [SAEX_BINARY]     (run by scripts/test.sh)
#
# Everything lives in a fresh temporary folder: munged runs as the munge user on a private socket
# and key, the Slurm daemons as root with private ports, state and spool folders, so a system
# Slurm or munge is left alone. The daemons it started are stopped by pid (SIGTERM, then SIGKILL
# after 5 s) on every way out. Needs root (to run munged as the munge user and slurmd); without it
# the test fails with one line unless SAEX_SKIP_SLURM=1, which prints a skip line instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${SAEX_SKIP_SLURM:-0}" = 1 ]; then
  echo "SKIPPED: Slurm cluster test (SAEX_SKIP_SLURM=1)"
  exit 0
fi
fail() { echo "slurm test: FAILED: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root to start munged and slurmd (run as root, or set SAEX_SKIP_SLURM=1 to skip it)"
for c in munged slurmctld slurmd sbatch squeue scontrol setpriv; do
  command -v $c >/dev/null || fail "$c is missing (scripts/bootstrap.sh installs slurmctld slurmd slurm-client munge)"
done
SAEX=${1:-$(swift build --show-bin-path)/saex}
[ -x "$SAEX" ] || fail "no saex binary at $SAEX (run swift build first)"
SAEX=$(cd "$(dirname "$SAEX")" && pwd)/$(basename "$SAEX")

T=$(mktemp -d /tmp/saex-slurm.XXXXXX)
chmod 755 "$T"
PIDS=()
stop() {
  local rc=$?
  set +e
  if [ -n "${SLURM_CONF:-}" ] && [ ${#PIDS[@]} -gt 0 ]; then
    # Jobs of this test only (this private controller runs no others); wait for them to end.
    timeout 5 scancel --quiet --user=root >/dev/null 2>&1
    for _ in $(seq 25); do [ -z "$(timeout 2 squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  for ((k = ${#PIDS[@]} - 1; k >= 0; k--)); do
    p=${PIDS[k]}
    kill -TERM "$p" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  if [ $rc -ne 0 ]; then
    for f in "$T"/log/*.log "$T"/parts/*.out; do
      [ -f "$f" ] && { echo "---- $f (last lines)"; tail -n 15 "$f"; } >&2
    done
  fi
  rm -rf "$T"
  exit $rc
}
trap stop EXIT
trap 'exit 130' INT TERM

# Two free TCP ports for slurmctld and slurmd (nothing answers on them).
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }
  done
}
CTL_PORT=$(free_port); SLURMD_PORT=$(free_port)
while [ "$SLURMD_PORT" = "$CTL_PORT" ]; do SLURMD_PORT=$(free_port); done
HOST=$(hostname -s)
mkdir -p "$T/munge" "$T/state" "$T/spool" "$T/log" "$T/run" "$T/parts" "$T/out"
chown munge:munge "$T/munge"
chmod 700 "$T/munge"

# munged: a fresh key, as the munge user, on a private socket.
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chown munge:munge "$T/munge/munge.key"
chmod 400 "$T/munge/munge.key"
SOCKET=$T/munge/munge.socket
setpriv --reuid=munge --regid=munge --clear-groups munged --foreground --force --socket="$SOCKET" --key-file="$T/munge/munge.key" \
  --pid-file="$T/munge/munged.pid" --log-file="$T/munge/munged.log" --seed-file="$T/munge/munged.seed" --num-threads=2 \
  > "$T/log/munged.stdout" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$SOCKET" ] && break; sleep 0.1; done
[ -S "$SOCKET" ] || fail "munged did not create its socket ($(tail -n 3 "$T/munge/munged.log" 2>/dev/null | tr '\n' ' '))"

cat > "$T/slurm.conf" <<CONF
ClusterName=saextest
SlurmctldHost=$HOST
SlurmctldPort=$CTL_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCKET
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=600
NodeName=$HOST CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
echo "CgroupPlugin=autodetect" > "$T/cgroup.conf"
export SLURM_CONF=$T/slurm.conf

slurmctld -D -i -f "$SLURM_CONF" > "$T/log/slurmctld.stdout" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" > "$T/log/slurmd.stdout" 2>&1 &
PIDS+=($!)
state=
for _ in $(seq 150); do
  state=$(sinfo -h -n "$HOST" -o %T 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || fail "the node did not become idle within 30 s (state: ${state:-none})"
echo "slurm test: single-node Slurm up on $HOST (ports $CTL_PORT, $SLURMD_PORT)"

BUILD=(--dict standard=fixtures/demo/standard --dict cosine=fixtures/demo/cosine_perfeature
       --activations fixtures/demo/activations.safetensors --vocab fixtures/demo/tokenizer.json)
"$SAEX" cache build "${BUILD[@]}" -o "$T/out/single.saexcache" 2>/dev/null || fail "the single build failed"

started=$SECONDS
read -r ARRAY MERGE < <(SAEX=$SAEX scripts/slurm/submit.sh 4 "$T/parts" "$T/out/merged.saexcache" "${BUILD[@]}")
echo "slurm test: submitted array job $ARRAY (4 parts) and merge job $MERGE"
merge_state=
for _ in $(seq 600); do
  merge_state=$(scontrol show job "$MERGE" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1)
  case $merge_state in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY) break ;; esac
  sleep 0.2
done
[ "$merge_state" = COMPLETED ] || fail "the merge job ended as ${merge_state:-unknown} after $((SECONDS - started)) s"
for i in 0 1 2 3; do
  s=$(scontrol show job "${ARRAY}_$i" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1)
  [ "$s" = COMPLETED ] || fail "array task $i ended as ${s:-unknown}"
done
cmp "$T/out/single.saexcache" "$T/out/merged.saexcache" >/dev/null || fail "the merged cache differs from the single build"
[ -s "$T/out/merged.saexcache.analysis" ] || fail "the merge job wrote no analysis"
echo "slurm test: OK: 4 array tasks and the merge ran in $((SECONDS - started)) s; the merged cache equals the single build byte for byte"
