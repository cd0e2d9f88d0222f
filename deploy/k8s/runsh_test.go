package k8s

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fakeKubectl is a kubectl that keeps the Jobs it is given in $FAKE_STATE,
// one file per Job holding its condition, and logs every call to
// $FAKE_STATE/calls. A created Job completes at once, unless its name is
// $FAKE_FAIL, in which case it fails.
const fakeKubectl = `#!/usr/bin/env bash
set -euo pipefail
st=$FAKE_STATE
echo "$*" >>"$st/calls"
args=()
while (($#)); do
	case $1 in
	--namespace) shift 2 ;;
	*) args+=("$1"); shift ;;
	esac
done
set -- "${args[@]}"
# jobname prints metadata.name of a manifest on stdin.
jobname() { awk '/^metadata:/ { m = 1; next } m && /^  name:/ { print $2; exit }'; }
verb=$1
shift
case $verb in
apply)
	[ "${*: -1}" != - ] || cat >/dev/null
	;;
create)
	if [ "$1" = configmap ]; then
		echo "kind: ConfigMap"
	elif [[ " $* " == *" --dry-run=client "* ]]; then
		echo "job.batch/$(jobname <"${*: -1}")"
	else
		doc=$(cat)
		name=$(jobname <<<"$doc")
		printf '%s\n' "$doc" >"$st/$name.yaml"
		if [ "$name" = "${FAKE_FAIL:-}" ]; then echo Failed; else echo Complete; fi >"$st/$name.cond"
		echo "created job $name" >>"$st/calls"
		echo "job.batch/$name created"
	fi
	;;
get)
	f=$st/${1#*/}.cond
	[ -e "$f" ] || exit 0
	case "$*" in
	*"-o name"*) echo "$1" ;;
	*'@.status=="True"'*) printf '%s ' "$(cat "$f")" ;;
	*'@.type=="Failed"'*) echo "  FailedIndexes: Job has failed indexes" ;;
	*failedIndexes*) echo "1,3" ;;
	esac
	;;
wait)
	job=${*: -1}
	[ "$(cat "$st/${job#*/}.cond" 2>/dev/null)" = Complete ]
	;;
delete)
	rm "$st/${1#*/}.cond" "$st/${1#*/}.yaml"
	echo "deleted job ${1#*/}" >>"$st/calls"
	;;
logs)
	echo "[pod/x] sobolev: fake failure"
	;;
*)
	echo "fake kubectl: unexpected call $verb $*" >&2
	exit 2
	;;
esac
`

// runScript runs run.sh with the fake kubectl on PATH, the state in state
// and the extra environment env, and returns its combined output.
func runScript(t *testing.T, state string, env []string, args ...string) (string, error) {
	t.Helper()
	bin := filepath.Join(state, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "kubectl"), []byte(fakeKubectl), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", append([]string{"run.sh"}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "FAKE_STATE="+state)
	cmd.Env = append(cmd.Env, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// created returns the Jobs the fake kubectl created, in order.
func created(t *testing.T, state string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(state, "calls"))
	if err != nil {
		t.Fatal(err)
	}
	var jobs []string
	for _, m := range regexp.MustCompile(`(?m)^created job (\S+)$`).FindAllStringSubmatch(string(b), -1) {
		jobs = append(jobs, m[1])
	}
	return jobs
}

func TestRunScript(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	m, err := decode(readManifests(t))
	if err != nil {
		t.Fatal(err)
	}
	large, cells, merge := m.jobs["job-large.yaml"].Name, m.jobs["job-cells.yaml"].Name, m.jobs["job-merge.yaml"].Name
	const image = "registry.example/sobolev:v1"
	env := []string{"IMAGE=" + image, "NAMESPACE=studies", "TIMEOUT=60"}

	state := t.TempDir()
	out, err := runScript(t, state, env)
	if err != nil {
		t.Fatalf("run.sh: %v\n%s", err, out)
	}
	if got, want := strings.Join(created(t, state), " "), strings.Join([]string{large, cells, merge}, " "); got != want {
		t.Fatalf("run.sh created the Jobs %q, want %q in that order\n%s", got, want, out)
	}
	for _, name := range []string{large, cells, merge} {
		b, err := os.ReadFile(filepath.Join(state, name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "image: "+image+"\n") || strings.Contains(string(b), placeholderImage) {
			t.Errorf("run.sh created %s without substituting the image %s", name, image)
		}
	}
	calls, err := os.ReadFile(filepath.Join(state, "calls"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(calls)), "\n") {
		if !strings.HasPrefix(line, "created job ") && !strings.Contains(line, "--namespace studies") {
			t.Errorf("kubectl %s: not in the namespace $NAMESPACE", line)
		}
	}
	abs, err := filepath.Abs(configKey)
	if err != nil {
		t.Fatal(err)
	}
	if want := "create configmap " + configMapName + " --from-file=" + configKey + "=" + abs; !strings.Contains(string(calls), want) {
		t.Errorf("run.sh does not make the ConfigMap with %q:\n%s", want, calls)
	}

	// A second run keeps the completed phases.
	out, err = runScript(t, state, env)
	if err != nil {
		t.Fatalf("run.sh again: %v\n%s", err, out)
	}
	if n := len(created(t, state)); n != 3 {
		t.Errorf("run.sh again created %d Jobs, want none besides the first run's 3\n%s", n, out)
	}

	// A failed phase stops the run with its shards and logs; the next run
	// starts that phase again and keeps the one before.
	state = t.TempDir()
	out, err = runScript(t, state, append(env, "FAKE_FAIL="+cells))
	if err == nil {
		t.Fatalf("run.sh succeeded although %s failed\n%s", cells, out)
	}
	for _, want := range []string{"phase cells failed", "1,3", "fake failure", "run run.sh again"} {
		if !strings.Contains(out, want) {
			t.Errorf("run.sh's failure message lacks %q:\n%s", want, out)
		}
	}
	if got := strings.Join(created(t, state), " "); got != large+" "+cells {
		t.Errorf("after %s failed, run.sh created %q", cells, got)
	}
	out, err = runScript(t, state, env)
	if err != nil {
		t.Fatalf("run.sh after the failure: %v\n%s", err, out)
	}
	if got, want := strings.Join(created(t, state), " "), strings.Join([]string{large, cells, cells, merge}, " "); got != want {
		t.Errorf("run.sh after the failure: created %q, want %q\n%s", got, want, out)
	}

	out, err = runScript(t, t.TempDir(), env, "no-such-study.yaml")
	if err == nil || !strings.Contains(out, "cannot read the study config no-such-study.yaml") {
		t.Errorf("run.sh with a missing config: %v\n%s", err, out)
	}
}
