#!/usr/bin/env bash
# End-to-end test of deploy/slurm on a real one-node Slurm cluster.
#
# It installs slurm-wlm and munge with apt-get if they are missing, starts
# munged, slurmctld and slurmd as plain processes with every file in a
# temporary folder (facts in ../shared/docs/slurm-local.md), checks that a
# trivial 3-task array job runs, builds sobolev, runs testdata/study.yaml
# through submit.sh as 3-task arrays (large nets, cells, merge), runs the same
# study unsharded without Slurm, and checks that both cells.csv are equal byte
# for byte. It prints PASS or FAIL (with the logs of the failed tasks), and
# stops the daemons by PID and removes the folder on exit, also on failure.
#
# Needs root (munged runs as user munge, the Slurm daemons as root) and Go.
# usage: bash deploy/slurm/test.sh   (from anywhere; SOBOLEV_SLURM_TIMEOUT,
# default 900, bounds the wait for the jobs in seconds)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
shards=3
timeout=${SOBOLEV_SLURM_TIMEOUT:-900}
t0=$SECONDS

say() { printf 'slurm test [%3ds] %s\n' $((SECONDS - t0)) "$*"; }
fail() {
	say "FAIL: $*"
	exit 1
}

[ "$(id -u)" -eq 0 ] || fail "needs root: it starts munged, slurmctld and slurmd"

# --- install ---
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
	! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
	say "installing slurm-wlm and munge with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	out=$(apt-get update -qq 2>&1) || { echo "$out"; fail "apt-get update failed"; }
	out=$(apt-get install -y -qq --no-install-recommends slurm-wlm munge 2>&1) ||
		{ echo "$out"; fail "apt-get install slurm-wlm munge failed"; }
	say "installed $(slurmctld -V)"
fi

# --- temporary folder and cleanup ---
tmp=$(mktemp -d /tmp/sobolev-slurm.XXXXXX)
chmod 755 "$tmp" # munged (user munge) must reach its folder inside
export SLURM_CONF=$tmp/slurm.conf

# stop PIDFILE: TERM the process of the pid file, wait up to 10 s, then KILL.
stop() {
	local pid
	[ -s "$1" ] || return 0
	pid=$(cat "$1")
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
	local rc=$?
	set +e
	if [ -s "$tmp/slurmctld.pid" ]; then
		# Cancel what is left of this cluster's jobs, so that no job step
		# (slurmstepd, sobolev) outlives slurmd.
		mapfile -t jobs < <(squeue -h -o %A 2>/dev/null | sort -u)
		if [ ${#jobs[@]} -gt 0 ]; then
			scancel "${jobs[@]}" 2>/dev/null
			for _ in $(seq 50); do
				[ -z "$(squeue -h -t RUNNING,COMPLETING 2>/dev/null)" ] && break
				sleep 0.2
			done
		fi
	fi
	stop "$tmp/slurmd.pid"
	stop "$tmp/slurmctld.pid"
	stop "$tmp/munge/munged.pid"
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# show_log FILE: the last lines of a daemon's log, for a failure message.
show_log() {
	echo "--- $1 (last 30 lines)"
	tail -n 30 "$1" 2>/dev/null || echo "(missing)"
}

# --- munge ---
say "starting munged"
install -d -o munge -g munge -m 0755 "$tmp/munge" # munged wants its socket folder searchable by all
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chown munge:munge "$tmp/munge/munge.key"
chmod 0400 "$tmp/munge/munge.key"
socket=$tmp/munge/munge.socket
su -s /bin/sh munge -c "munged --socket='$socket' --key-file='$tmp/munge/munge.key' \
	--pid-file='$tmp/munge/munged.pid' --log-file='$tmp/munge/munged.log' \
	--seed-file='$tmp/munge/munged.seed'" ||
	{ show_log "$tmp/munge/munged.log"; fail "munged did not start"; }
munge -n -S "$socket" | unmunge -S "$socket" >/dev/null ||
	{ show_log "$tmp/munge/munged.log"; fail "munge -n | unmunge failed"; }

# --- slurm ---
# free_port: a TCP port nobody listens on, so that the test can run beside a
# real Slurm or another copy of itself.
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	echo "no free TCP port found in 20000-39999" >&2
	return 1
}
ctldport=$(free_port) || fail "no port for slurmctld"
slurmdport=$(free_port) || fail "no port for slurmd"
while [ "$slurmdport" = "$ctldport" ]; do slurmdport=$(free_port) || fail "no port for slurmd"; done
host=$(hostname -s)
cpus=$(nproc)
# large.sbatch asks for 2 CPUs per task: declare at least 2, and let the
# declaration override what slurmd detects on a 1-CPU runner.
[ "$cpus" -ge 2 ] || cpus=2
mkdir -p "$tmp/state" "$tmp/spool"
cat >"$SLURM_CONF" <<EOF
ClusterName=sobolevtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctldport
SlurmdPort=$slurmdport
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SlurmdParameters=config_overrides
MinJobAge=3600
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
say "starting slurmctld and slurmd (ports $ctldport, $slurmdport)"
slurmctld -f "$SLURM_CONF" || { show_log "$tmp/slurmctld.log"; fail "slurmctld did not start"; }
slurmd -f "$SLURM_CONF" || { show_log "$tmp/slurmd.log"; fail "slurmd did not start"; }
for i in $(seq 60); do
	state=$(sinfo -h -n "$host" -o %t 2>/dev/null || true)
	[ "$state" = idle ] && break
	[ "$i" -lt 60 ] || {
		show_log "$tmp/slurmctld.log"
		show_log "$tmp/slurmd.log"
		fail "node $host is not idle after 30 s (sinfo: ${state:-no answer})"
	}
	sleep 0.5
done
say "node $host idle with $cpus CPUs"

# field NAME LINE: the value of NAME=value in a line of scontrol -o.
field() { grep -o "$1=[^ ]*" <<<"$2" | head -n 1 | cut -d= -f2- || true; }
# job_state ID: COMPLETED if the job (every task of an array job) completed,
# else the state of its first task that did not, UNKNOWN if Slurm does not
# know it (scontrol: there is no accounting database for sacct).
job_state() {
	local line state=UNKNOWN
	while read -r line; do
		state=$(field JobState "$line")
		[ "$state" = COMPLETED ] || break
	done < <(scontrol -o show job "$1" 2>/dev/null || true)
	echo "$state"
}
# report_failed ID: the state and log of every task of a job that did not complete.
report_failed() {
	local line state out task
	while read -r line; do
		state=$(field JobState "$line")
		[ "$state" = COMPLETED ] && continue
		out=$(field StdOut "$line") task=$(field ArrayTaskId "$line")
		echo "--- job $(field JobId "$line")${task:+ task $task}: $state," \
			"exit code $(field ExitCode "$line"), reason $(field Reason "$line"), log $out"
		if [ -f "$out" ]; then tail -n 40 "$out"; fi
	done < <(scontrol -o show job "$1" 2>/dev/null || true)
}

# wait_job SECONDS ID...: waits until the last job ID has ended; unless it
# and every other ID completed, fails with the state and log of each task
# that did not.
wait_job() {
	local limit=$1 deadline=$((SECONDS + $1)) last=${*: -1} state j
	shift
	while :; do
		state=$(job_state "$last")
		case $state in
		COMPLETED) break ;;
		PENDING | RUNNING | CONFIGURING | COMPLETING | REQUEUED | RESIZING | SUSPENDED) ;;
		*)
			for j in "$@"; do report_failed "$j"; done
			fail "job $last ended $state"
			;;
		esac
		if [ "$SECONDS" -ge "$deadline" ]; then
			squeue
			for j in "$@"; do report_failed "$j"; done
			fail "job $last did not end within $limit s"
		fi
		sleep 1
	done
	for j in "$@"; do
		[ "$(job_state "$j")" = COMPLETED ] || { report_failed "$j"; fail "job $j did not complete"; }
	done
}

# --- a trivial array job: the cluster runs arrays with the task variables ---
mkdir -p "$tmp/smoke"
cat >"$tmp/smoke/job.sh" <<'EOF'
#!/bin/sh
echo "$SLURM_ARRAY_TASK_ID $SLURM_ARRAY_TASK_COUNT" >"$SMOKE/out-$SLURM_ARRAY_TASK_ID"
EOF
smoke=$(SMOKE=$tmp/smoke sbatch --parsable --array=0-$((shards - 1)) --time=1 \
	--output="$tmp/smoke/%a.log" "$tmp/smoke/job.sh") || fail "sbatch of the trivial array job failed"
wait_job 60 "${smoke%%;*}"
for i in $(seq 0 $((shards - 1))); do
	got=$(cat "$tmp/smoke/out-$i" 2>/dev/null || echo missing)
	[ "$got" = "$i $shards" ] || fail "trivial array task $i wrote \"$got\", want \"$i $shards\""
done
say "trivial $shards-task array job ran"

# --- the study ---
say "building sobolev"
(cd "$repo" && go build -o "$tmp/sobolev" ./cmd/sobolev) || fail "go build ./cmd/sobolev failed"
bin=$tmp/sobolev
# (Captured first: grep -q would close the pipe early, and pipefail would
# count the writer's SIGPIPE as a failure.)
help=$("$bin" study --help 2>/dev/null || true)
grep -q -- '--shard' <<<"$help" || fail "sobolev study not found (this build has no study command with --shard)"

sharded=$tmp/sharded
ids=$(SOBOLEV_BIN=$bin "$here/submit.sh" "$here/testdata/study.yaml" "$sharded" "$shards") ||
	fail "submit.sh failed"
echo "$ids"
large=$(awk '$1 == "large" {print $2}' <<<"$ids")
cells=$(awk '$1 == "cells" {print $2}' <<<"$ids")
merge=$(awk '$1 == "merge" {print $2}' <<<"$ids")
if [ -z "$large" ] || [ -z "$cells" ] || [ -z "$merge" ]; then fail "submit.sh printed no job ids"; fi

say "waiting for jobs large $large, cells $cells, merge $merge"
wait_job "$timeout" "$large" "$cells" "$merge"
say "Slurm study done"
# Every task must have run its own shard (i/3), not the whole study: the same
# cells.csv would hide a --shard auto that missed the array variables.
for job in "large $large" "cells $cells"; do
	read -r phase id <<<"$job"
	for i in $(seq 0 $((shards - 1))); do
		log=$sharded/logs/sobolev-$phase-${id}_$i.out
		line=$(grep -m 1 "shard $i/$shards" "$log" 2>/dev/null) ||
			fail "the $phase log of task $i ($log) does not say it ran shard $i/$shards"
		echo "  $line"
	done
done

say "running the same study unsharded without Slurm"
unsharded=$tmp/unsharded
if ! { "$bin" study --config "$here/testdata/study.yaml" --out "$unsharded" &&
	"$bin" study merge "$unsharded"; } >"$tmp/unsharded.log" 2>&1; then
	tail -n 40 "$tmp/unsharded.log"
	fail "the unsharded study failed"
fi
say "unsharded study done"

for f in "$sharded/cells.csv" "$unsharded/cells.csv"; do
	[ -s "$f" ] || fail "$f is missing or empty"
done
if ! cmp "$sharded/cells.csv" "$unsharded/cells.csv"; then
	diff "$sharded/cells.csv" "$unsharded/cells.csv" | head -n 20
	fail "cells.csv of the Slurm run ($shards shards) differs from the unsharded run's"
fi
say "PASS: cells.csv of $shards Slurm shards equals the unsharded run's byte for byte ($(($(wc -l <"$sharded/cells.csv") - 1)) rows)"
