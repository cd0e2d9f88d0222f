#!/usr/bin/env bash
# Submits a sharded study to Slurm as three chained jobs and prints their ids:
#   large  array job: the large nets        (large.sbatch)
#   cells  array job: the cells             (cells.sbatch, after large succeeded)
#   merge  one job:   cells.csv and report  (merge.sbatch, after cells succeeded)
#
# usage: submit.sh CONFIG DIR [ARRAY_SIZE]
#   CONFIG      a study YAML file, or a preset name (quick, default, full)
#   DIR         the study folder; must be on a file system every node sees
#   ARRAY_SIZE  tasks per array job (default 4)
# The binary is $SOBOLEV_BIN, else sobolev on PATH. Other sbatch options come
# from sbatch's own environment variables (SBATCH_PARTITION, SBATCH_ACCOUNT,
# SBATCH_TIMELIMIT, ...), which apply to all three jobs.
# Output, one line per job: "large JOBID", "cells JOBID", "merge JOBID".
set -euo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 CONFIG DIR [ARRAY_SIZE]  (CONFIG: a study YAML file or a preset name)" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
config=$1 dir=$2 n=${3:-4}
case $n in
'' | *[!0-9]* | 0*)
	echo "ARRAY_SIZE must be a positive whole number, got \"$n\"" >&2
	exit 2
	;;
esac
if [ -f "$config" ]; then
	config=$(cd "$(dirname "$config")" && pwd)/$(basename "$config")
else
	case $config in
	*/* | *.yaml | *.yml)
		echo "study config $config not found" >&2
		exit 2
		;;
	esac
fi
bin=${SOBOLEV_BIN:-$(command -v sobolev || true)}
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
	echo "sobolev binary not found: set SOBOLEV_BIN to its path or put it on PATH" >&2
	exit 2
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
mkdir -p "$dir/logs" # Slurm does not create the folder of --output
dir=$(cd "$dir" && pwd)

# The jobs read these; --export=ALL hands them over without sbatch's
# comma-separated list, so paths may contain commas.
export SOBOLEV_BIN=$bin SOBOLEV_CONFIG=$config SOBOLEV_OUT=$dir

submitted=()
# submit SBATCH-ARGS... prints the job id from sbatch --parsable ("id" or
# "id;cluster"); if sbatch fails it cancels the jobs already submitted.
submit() {
	local out
	if ! out=$(sbatch --parsable --export=ALL "$@"); then
		echo "sbatch failed; cancelling ${submitted[*]:-nothing}" >&2
		[ ${#submitted[@]} -eq 0 ] || scancel "${submitted[@]}" || true
		exit 1
	fi
	echo "${out%%;*}"
}

large=$(submit --array=0-$((n - 1)) --output="$dir/logs/%x-%A_%a.out" "$here/large.sbatch")
submitted+=("$large")
cells=$(submit --array=0-$((n - 1)) --dependency=afterok:"$large" --output="$dir/logs/%x-%A_%a.out" "$here/cells.sbatch")
submitted+=("$cells")
merge=$(submit --dependency=afterok:"$cells" --output="$dir/logs/%x-%j.out" "$here/merge.sbatch")
echo "large $large"
echo "cells $cells"
echo "merge $merge"
