package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/heston"
)

// runDataHestonCmd runs "data heston" with args in-process.
func runDataHestonCmd(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	cmd := newDataHestonCmd(time.Hour)
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

func TestDataHeston(t *testing.T) {
	out := filepath.Join(t.TempDir(), "new", "dir")
	args := []string{"--train", "500", "--test", "50", "--seed", "4", "--steps", "16", "--xi", "0.3",
		"--maturity", "0.5,1", "--smoothing", "0.01", "--labels", "pathwise", "--paths", "2", "--out", out}
	stdout, stderr, err := runDataHestonCmd(context.Background(), args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "train.npz (500 samples)") || stderr != "" {
		t.Errorf("stdout %q, stderr %q; want a summary line, and no progress nor Feller note", stdout, stderr)
	}
	if got := files(t, out); !reflect.DeepEqual(got, []string{"spec.json", "test.npz", "train.npz"}) {
		t.Errorf("output directory holds %q, want spec.json, test.npz, train.npz and nothing else", got)
	}
	c := heston.DefaultDataConfig()
	c.Seed, c.Train, c.Test, c.Steps, c.Xi, c.Smoothing = 4, 500, 50, 16, 0.3, 0.01
	c.Labels, c.Paths = heston.Pathwise, 2
	c.Box[heston.Maturity] = [2]float64{0.5, 1}
	m := c.Model()
	tr, err := m.TrainingSampler(c.TrainOptions)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := m.TestSampler()
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]*dataset.Set{"train.npz": tr.Fill(tr.NewSet(500)), "test.npz": ts.Fill(ts.NewSet(50))} {
		got, err := dataset.ReadNPZ(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if got.Dims() != 4 || got.N() != want.N() || !sameBits(got.X, want.X) || !sameBits(got.Y, want.Y) ||
			!sameBits(got.DYDX, want.DYDX) || !sameBits(got.Gamma, want.Gamma) {
			t.Errorf("%s differs from the heston package's set of the same flags", name)
		}
	}
	raw, err := os.ReadFile(filepath.Join(out, "spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	if spec["pricer"] != "heston" || spec["xi"] != 0.3 || !reflect.DeepEqual(spec["box"].([]any)[2], []any{0.5, 1.0}) || spec["feller"] != true ||
		spec["labels"] != "pathwise" || spec["paths"] != 2.0 {
		t.Errorf("spec.json: %s", raw)
	}

	// The defaults violate the Feller condition: stated on stderr.
	out2 := filepath.Join(t.TempDir(), "d")
	_, stderr, err = runDataHestonCmd(context.Background(), "--train", "10", "--test", "2", "--out", out2)
	if err != nil || !strings.Contains(stderr, "Feller condition") {
		t.Errorf("defaults: error %v, stderr %q; want the Feller note", err, stderr)
	}
}

func TestDataHestonErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--xi", "0"}, "--xi 0: want a finite volatility of variance ξ > 0"},
		{[]string{"--rho", "-1"}, "--rho -1: want a correlation"},
		{[]string{"--kappa", "NaN"}, "--kappa NaN"},
		{[]string{"--theta", "-1"}, "--theta -1"},
		{[]string{"--spot", "1"}, "--spot has 1 values, want two"},
		{[]string{"--maturity", "0,1"}, "--maturity [0, 1]: want an interval of positive values"},
		{[]string{"--strike", "1.2,0.8"}, "--strike [1.2, 0.8]: want a finite interval"},
		{[]string{"--widening", "0.5"}, "--widening 0.5: want a widening that keeps the training box of v0 positive"},
		{[]string{"--steps", "0"}, "--steps 0"},
		{[]string{"--paths", "-1"}, "--paths -1: want a number of paths per sample"},
		{[]string{"--labels", "qe"}, "mixing or pathwise"},
		{[]string{"--train", "-1"}, "--train -1"},
	} {
		dir := filepath.Join(t.TempDir(), "out")
		_, _, err := runDataHestonCmd(context.Background(), append(tc.args, "--out", dir)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%v: the output folder was left behind", tc.args)
		}
	}
	// An interruption leaves nothing behind.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := filepath.Join(t.TempDir(), "out")
	if _, _, err := runDataHestonCmd(ctx, "--train", "10", "--test", "2", "--out", dir); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("cancelled: error %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cancelled: the output folder was left behind")
	}
}
