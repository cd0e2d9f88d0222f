package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/report"
	"github.com/sobolev-pruning/sobolev/results"
)

// writeFakeRun makes out an output directory of "sobolev run" with one stage:
// data from "sobolev data bachelier", a random 3 × 6 net and its test scores.
func writeFakeRun(t *testing.T, out string) {
	t.Helper()
	data := filepath.Join(out, "data")
	if _, stderr, err := runSobolev(context.Background(), "data", "bachelier",
		"--dims", "3", "--train", "64", "--test", "200", "--seed", "2", "--out", data); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	test, err := dataset.Load(filepath.Join(data, "test.npz"))
	if err != nil {
		t.Fatal(err)
	}
	net := mlp.New(3, []int{6, 6, 6}, mlp.SiLU)
	net.Init(mlp.XavierUniform, 1)
	if err := os.Mkdir(filepath.Join(out, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := onnx.Save(filepath.Join(out, "models", "small.onnx"), net); err != nil {
		t.Fatal(err)
	}
	cfg, err := json.Marshal(pipeline.Quick())
	if err != nil {
		t.Fatal(err)
	}
	res := results.Run{Config: cfg, Stages: []results.Stage{{
		Stage: "small-sobolev", HiddenNodes: net.HiddenNodes(), Parameters: net.NumParams(), Hidden: []int{6, 6, 6},
		Scores: pipeline.Evaluate(net, test), Seconds: 1, Model: filepath.Join("models", "small.onnx"),
	}}}
	if err := res.Write(filepath.Join(out, "results.json")); err != nil {
		t.Fatal(err)
	}
}

func TestReport(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	writeFakeRun(t, out)
	stdout, stderr, err := runSobolev(context.Background(), "report", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	index := filepath.Join(out, "report", "index.html")
	if stdout != index+"\n" || stderr != "" {
		t.Errorf("stdout %q, stderr %q; want the page's path %s and nothing else", stdout, stderr, index)
	}
	page, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "small-sobolev") {
		t.Error("the page does not name the run's stage")
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, `name one output directory of "sobolev run"`},
		{[]string{"report", dir, dir}, `name one output directory of "sobolev run"`},
		{[]string{"report", filepath.Join(dir, "absent")}, filepath.Join(dir, "absent")},
		{[]string{"report", dir}, filepath.Join(dir, "results.json") + " is missing"},
	} {
		stdout, _, err := runSobolev(context.Background(), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sobolev %q: error %v, want one containing %q", tc.args, err, tc.want)
		}
		if stdout != "" {
			t.Errorf("sobolev %q printed %q, want nothing", tc.args, stdout)
		}
	}
	if got := files(t, dir); len(got) != 0 {
		t.Errorf("the failed runs left %q in the directory, want nothing", got)
	}
}

func TestReportInterrupted(t *testing.T) {
	out := t.TempDir()
	writeFakeRun(t, out)
	before := files(t, out)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := runSobolev(ctx, "report", out); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled report: error %v, want context.Canceled", err)
	}
	if got := files(t, out); !reflect.DeepEqual(got, before) {
		t.Errorf("cancelled report left %q, want %q", got, before)
	}
	if _, err := os.Stat(report.IndexPath(out)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cancelled report: stat %s: %v, want no such file", report.IndexPath(out), err)
	}
}

func TestReportHelp(t *testing.T) {
	stdout, _, err := runSobolev(context.Background(), "report", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"report OUT", "index.html", "sobolev report runs/default"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help does not mention %q:\n%s", want, stdout)
		}
	}
}
