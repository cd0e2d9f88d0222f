#!/usr/bin/env bash
# Runs a sharded sobolev study on the Kubernetes cluster of kubectl's current
# context, in three phases that Kubernetes cannot chain by itself: the
# Indexed Job of the large nets, then the Indexed Job of the cells, then the
# merge Job, each started only once the one before has completed.
#
#	deploy/k8s/run.sh [STUDY_YAML]
#
# STUDY_YAML (default deploy/k8s/study.yaml) becomes the ConfigMap
# sobolev-study, read by the Jobs as /config/study.yaml. The environment may
# set IMAGE (default sobolev:latest, see the Dockerfile), NAMESPACE (default:
# the context's) and TIMEOUT, the seconds one phase may take (default 86400).
#
# Run again after a failure: a phase whose Job has completed is kept, a Job
# still running is waited for, and a failed Job is deleted and created again;
# its shards then skip the cells already written.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
config=${1:-$here/study.yaml}
image=${IMAGE:-sobolev:latest}
timeout=${TIMEOUT:-86400}
kc=(kubectl)
if [ -n "${NAMESPACE:-}" ]; then kc+=(--namespace "$NAMESPACE"); fi

die() { echo "run.sh: $*" >&2; exit 1; }

command -v kubectl >/dev/null || die "kubectl is not installed"
[ -r "$config" ] || die "cannot read the study config $config: pass its path as the first argument"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "TIMEOUT must be a whole number of seconds, not '$timeout'"

# conditions JOB prints the types of the conditions that hold for JOB
# (e.g. "Complete", "Failed"), nothing when the Job does not exist.
conditions() {
	"${kc[@]}" get "$1" --ignore-not-found \
		-o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}'
}

# failed JOB PHASE explains why JOB failed and exits.
failed() {
	local job=$1 phase=$2
	{
		echo "run.sh: phase $phase failed: $job has the condition Failed:"
		"${kc[@]}" get "$job" -o jsonpath='{range .status.conditions[?(@.type=="Failed")]}  {.reason}: {.message}{"\n"}{end}' || true
		local indexes
		indexes=$("${kc[@]}" get "$job" -o jsonpath='{.status.failedIndexes}' || true)
		if [ -n "$indexes" ]; then echo "  failed shards (completion indexes): $indexes"; fi
		echo "the last lines of its pods' logs:"
		"${kc[@]}" logs --selector "batch.kubernetes.io/job-name=${job#*/}" --prefix --tail=20 || true
		echo "fix the cause and run run.sh again: completed phases and finished cells are kept"
	} >&2
	exit 1
}

# phase FILE NAME creates the Job of FILE with the image substituted, unless
# it has completed already, and waits until it completes or fails.
phase() {
	local file=$1 phase=$2 job conds
	job=$("${kc[@]}" create --dry-run=client -o name -f "$file")
	conds=$(conditions "$job")
	case " $conds " in
	*" Complete "*)
		echo "$phase: $job has completed already; kept (delete it to run the phase again)"
		return
		;;
	*" Failed "*)
		echo "$phase: $job failed before; deleting it to start the phase again"
		"${kc[@]}" delete "$job" --cascade=foreground --wait
		;;
	esac
	if [ -z "$("${kc[@]}" get "$job" --ignore-not-found -o name)" ]; then
		sed "s|image: sobolev:latest|image: $image|" "$file" | "${kc[@]}" create -f -
	else
		echo "$phase: $job is running already; waiting for it"
	fi
	echo "$phase: waiting for $job to complete (timeout ${timeout}s)"
	local start=$SECONDS
	until "${kc[@]}" wait --for=condition=complete --timeout=60s "$job" >/dev/null 2>&1; do
		case " $(conditions "$job") " in
		*" Failed "*) failed "$job" "$phase" ;;
		esac
		if ((SECONDS - start >= timeout)); then
			die "phase $phase timed out: $job has not completed after ${timeout}s (kubectl describe $job)"
		fi
	done
	echo "$phase: $job complete"
}

"${kc[@]}" apply -f "$here/pvc.yaml"
"${kc[@]}" create configmap sobolev-study --from-file=study.yaml="$config" \
	--dry-run=client -o yaml | "${kc[@]}" apply -f -

phase "$here/job-large.yaml" large
phase "$here/job-cells.yaml" cells
phase "$here/job-merge.yaml" merge

echo "done: the merged study is in /results/study on the volume sobolev-results"
echo "copy it out with the pod of $here/fetch.yaml (see its comment)"
