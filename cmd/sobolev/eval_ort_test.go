package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// ciORT is the repository's onnxruntime-node folder, seen from this
// package's directory.
const ciORT = "../../.ci/onnxruntime"

// needORT skips the test unless node is on PATH and ciORT has
// node_modules/onnxruntime-node, and returns the folder's absolute path.
func needORT(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH: install Node.js to run the onnxruntime timing")
	}
	dir, err := filepath.Abs(ciORT)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "onnxruntime-node", "package.json")); err != nil {
		t.Skipf("%s has no node_modules/onnxruntime-node: run \"npm ci --ignore-scripts\" there to run the onnxruntime timing", dir)
	}
	return dir
}

// TestEvalONNXRuntime runs eval --onnxruntime on a small model in the
// onnxruntime-node of .ci/onnxruntime and checks that both speeds are
// there, the ratios are theirs, and the temporary folder is left empty (no
// trace of node or onnxruntime either); then
// .ci/onnxruntime/bench.js, which runs the same script.
func TestEvalONNXRuntime(t *testing.T) {
	ortDir := needORT(t)
	dir := t.TempDir()
	train, test := testData(t, dir, 2)
	model := filepath.Join(dir, "m.onnx")
	if _, stderr, err := runSobolev(context.Background(), "train", "--data", train, "--hidden", "5", "--epochs", "2", "--out", model); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	stdout, _, err := runSobolev(context.Background(), "eval", "--model", model, "--data", test, "--json", "--onnxruntime", ciORT)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Speed       map[string]any `json:"speed"`
		ONNXRuntime map[string]any `json:"onnxruntime"`
	}
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("eval --json printed no JSON object: %v\n%s", err, stdout)
	}
	for _, key := range []string{"value_per_second", "greeks_per_second", "value_point_seconds", "point_seconds",
		"value_speedup", "greeks_speedup", "point_speedup", "batch", "threads"} {
		if v, ok := raw.ONNXRuntime[key].(float64); !ok || !(v > 0) {
			t.Errorf("eval --json: onnxruntime.%s is %v, want a positive number:\n%s", key, raw.ONNXRuntime[key], stdout)
		}
	}
	if v, ok := raw.Speed["value_per_second"].(float64); !ok || !(v > 0) {
		t.Errorf("eval --json: speed.value_per_second is %v, want a positive number", raw.Speed["value_per_second"])
	}
	var rep struct {
		Speed       evalSpeed
		ONNXRuntime ortSpeed `json:"onnxruntime"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	us, ort := rep.Speed, rep.ONNXRuntime
	if ort.Dir != ortDir || ort.Batch != 200 || ort.Threads != runtime.GOMAXPROCS(0) || ort.Version == "" || !strings.HasPrefix(ort.Node, "v") {
		t.Errorf("onnxruntime: dir %q, batch %d, threads %d, version %q, node %q; want %q, the 200 points of --data, %d threads and versions",
			ort.Dir, ort.Batch, ort.Threads, ort.Version, ort.Node, ortDir, runtime.GOMAXPROCS(0))
	}
	if ort.ValueSpeedup != us.ValuePerSecond/ort.ValuePerSecond || ort.GreeksSpeedup != us.GreeksPerSecond/ort.GreeksPerSecond ||
		ort.PointSpeedup != ort.PointSeconds/us.PointSeconds {
		t.Errorf("speedups %v, %v, %v are not sobolev's speed over onnxruntime's: sobolev %+v, onnxruntime %+v",
			ort.ValueSpeedup, ort.GreeksSpeedup, ort.PointSpeedup, us, ort)
	}
	// A point of the greeks graph costs more than one of the value graph.
	if !(ort.PointSeconds > ort.ValuePointSeconds) || !(ort.ValuePerSecond > ort.GreeksPerSecond) {
		t.Errorf("onnxruntime: greeks %v s per point and %v points/s, value %v s and %v points/s; want the greeks slower",
			ort.PointSeconds, ort.GreeksPerSecond, ort.ValuePointSeconds, ort.ValuePerSecond)
	}
	if left := files(t, tmp); len(left) != 0 {
		t.Errorf("eval left %v in the temporary folder", left)
	}

	cmd := exec.Command("node", "bench.js", "--json", "--min-time", "0.05", "--batch", "64", model)
	cmd.Dir = ortDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node bench.js: %v\n%s", err, stderr.String())
	}
	var bench ortResult
	if err := json.Unmarshal(out, &bench); err != nil || len(bench.Models) != 1 {
		t.Fatalf("node bench.js printed %s, want the JSON of one model (%v)", out, err)
	}
	if m := bench.Models[0]; m.File != model || m.Batch != 64 || !(m.PointsPerSecond > 0) || !(m.PointMicroseconds > 0) {
		t.Errorf("node bench.js: %+v, want %s, batch 64 and positive speeds", m, model)
	}
}

// TestEvalONNXRuntimeErrors checks the messages of --onnxruntime and
// SOBOLEV_ONNXRUNTIME: a folder without onnxruntime-node, node missing from
// PATH, and an onnxruntime-node that fails to load; and that
// --onnxruntime "" overrides the environment.
func TestEvalONNXRuntimeErrors(t *testing.T) {
	dir := t.TempDir()
	train, test := testData(t, dir, 2)
	model := filepath.Join(dir, "m.onnx")
	if _, stderr, err := runSobolev(context.Background(), "train", "--data", train, "--hidden", "3", "--epochs", "1", "--out", model); err != nil {
		t.Fatalf("train: %v\n%s", err, stderr)
	}
	eval := func(args ...string) (string, error) {
		stdout, _, err := runSobolev(context.Background(), append([]string{"eval", "--model", model, "--data", test}, args...)...)
		return stdout, err
	}
	missing := filepath.Join(dir, "nope")
	noModule := "the folder has no node_modules/onnxruntime-node; give the folder where \"npm ci --ignore-scripts\" installed it"
	if _, err := eval("--onnxruntime", missing); err == nil || !strings.Contains(err.Error(), "eval: --onnxruntime "+missing+": "+noModule) {
		t.Errorf("eval --onnxruntime %s: error %v, want one containing %q", missing, err, noModule)
	}
	t.Setenv(ortEnv, missing)
	if _, err := eval(); err == nil || !strings.Contains(err.Error(), "eval: "+ortEnv+" "+missing+": "+noModule) {
		t.Errorf("eval with %s=%s: error %v, want one naming %s", ortEnv, missing, err, ortEnv)
	}
	if stdout, err := eval("--onnxruntime", "", "--json"); err != nil || strings.Contains(stdout, `"onnxruntime"`) {
		t.Errorf(`eval --onnxruntime "" with %s set: error %v, output %s; want no onnxruntime timing`, ortEnv, err, stdout)
	}

	// An onnxruntime-node that throws when loaded.
	broken := filepath.Join(dir, "broken")
	module := filepath.Join(broken, "node_modules", "onnxruntime-node")
	if err := os.MkdirAll(module, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"package.json": `{"name": "onnxruntime-node", "main": "index.js"}`,
		"index.js":     `throw new Error('this onnxruntime-node is broken');`,
	} {
		if err := os.WriteFile(filepath.Join(module, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := exec.LookPath("node"); err == nil {
		want := "eval: --onnxruntime " + broken + ": timing in onnxruntime failed"
		if _, err := eval("--onnxruntime", broken); err == nil || !strings.Contains(err.Error(), want) ||
			!strings.Contains(err.Error(), "this onnxruntime-node is broken") {
			t.Errorf("eval --onnxruntime %s: error %v, want one containing %q and the script's message", broken, err, want)
		}
	} else {
		t.Log("node is not on PATH: the failing script is not tested")
	}
	t.Setenv("PATH", t.TempDir())
	want := `eval: --onnxruntime needs Node.js, but "node" is not on PATH`
	if _, err := eval("--onnxruntime", broken); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("eval --onnxruntime without node on PATH: error %v, want one containing %q", err, want)
	}
}
