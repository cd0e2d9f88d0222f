package heston

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/setting"
)

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestWriteData writes a folder and checks the archives against the
// samplers, bit for bit, and spec.json's keys.
func TestWriteData(t *testing.T) {
	c := DefaultDataConfig()
	c.Seed, c.Train, c.Test, c.Steps = 3, 300, 40, 16
	dir := t.TempDir()
	files := bachelier.FolderFiles(dir)
	var calls int
	if err := WriteData(context.Background(), files, c, func(string, int, int) { calls++ }); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("progress called %d times, want once per set (one block each)", calls)
	}
	m := c.Model()
	tr, _ := m.TrainingSampler(c.TrainOptions)
	ts, _ := m.TestSampler()
	for _, w := range []struct {
		path string
		want *dataset.Set
	}{{files.Train, tr.Fill(tr.NewSet(c.Train))}, {files.Test, ts.Fill(ts.NewSet(c.Test))}} {
		got, err := dataset.ReadNPZ(w.path)
		if err != nil {
			t.Fatal(err)
		}
		if got.N() != w.want.N() || got.Dims() != Inputs || got.Arrays() != dataset.WithGamma ||
			!sameBits(got.X, w.want.X) || !sameBits(got.Y, w.want.Y) || !sameBits(got.DYDX, w.want.DYDX) || !sameBits(got.Gamma, w.want.Gamma) {
			t.Errorf("%s differs from the sampler's set", w.path)
		}
	}
	raw, err := os.ReadFile(files.Spec)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]any
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]any{
		"pricer": "heston", "inputs": []any{"spot", "v0", "maturity", "strike"},
		"kappa": 1.5, "theta": 0.04, "xi": 0.5, "rho": -0.7,
		"box":    []any{[]any{0.7, 1.3}, []any{0.01, 0.09}, []any{0.25, 2.0}, []any{0.8, 1.2}},
		"labels": "mixing", "paths": 1.0, "steps": 16.0, "smoothing": 0.0075, "feller": false, "seed": 3.0,
		"scheme": Mixing.Scheme(), "train_arrays": []any{"x", "y", "dydx", "gamma"},
		"gamma_direction": []any{1.0, 0.0, 0.0, 0.0}, "train_samples": 300.0, "test_points": 40.0,
		"test_arrays": []any{"x", "y", "dydx", "gamma"},
	} {
		if !reflect.DeepEqual(spec[key], want) {
			t.Errorf("spec.json: %s = %v, want %v", key, spec[key], want)
		}
	}
}

func TestWriteDataErrors(t *testing.T) {
	dir := t.TempDir()
	files := bachelier.FolderFiles(dir)
	c := DefaultDataConfig()
	c.Train, c.Test = 10, -1
	var se *setting.Error
	if err := WriteData(context.Background(), files, c, nil); !errors.As(err, &se) || se.Key != "test" {
		t.Errorf("test = −1: WriteData returned %v, want a *setting.Error keyed test", err)
	}
	c.Test, c.Rho = 10, 1
	if err := WriteData(context.Background(), files, c, nil); !errors.As(err, &se) || se.Key != "rho" {
		t.Errorf("rho = 1: WriteData returned %v, want a *setting.Error keyed rho", err)
	}
	c.Rho = -0.7
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WriteData(ctx, files, c, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: WriteData returned %v, want context.Canceled", err)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "*")); len(names) != 0 {
		t.Errorf("after errors the folder holds %v, want nothing", names)
	}
}
