package bachelier

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/setting"
)

// TestWriteData checks that a data folder holds, bit for bit, the sets that
// TrainingSet and TestSet return, in blocks smaller than the sets, and the
// model's Spec.
func TestWriteData(t *testing.T) {
	dir := t.TempDir()
	c := DataConfig{Dims: 3, Seed: 5, Train: 1000, Test: 300, Smoothing: 0.02, Hessian: true}
	var calls, last int
	m, err := WriteData(context.Background(), FolderFiles(dir), c, func(file string, done, total int) {
		calls++
		last = done
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 2 || last != c.Test {
		t.Errorf("progress called %d times, last with %d samples, want one call per block ending at %d", calls, last, c.Test)
	}
	opts := TrainOptions{Smoothing: c.Smoothing, Hessian: true}
	for _, tc := range []struct {
		file string
		want *dataset.Set
	}{
		{"train.npz", m.TrainingSet(c.Train, opts)},
		{"test.npz", m.TestSet(c.Test, true)},
	} {
		got, err := dataset.Load(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range [][2][]float64{{got.X, tc.want.X}, {got.Y, tc.want.Y}, {got.DYDX, tc.want.DYDX},
			{got.Gamma, tc.want.Gamma}, {got.Hessian, tc.want.Hessian}} {
			if len(a[0]) != len(a[1]) || len(a[0]) == 0 {
				t.Fatalf("%s: %d values, want %d", tc.file, len(a[0]), len(a[1]))
			}
			for i := range a[0] {
				if math.Float64bits(a[0][i]) != math.Float64bits(a[1][i]) {
					t.Fatalf("%s: value %d is %v, want %v", tc.file, i, a[0][i], a[1][i])
				}
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "spec.json")); err != nil {
		t.Error(err)
	}
}

func TestWriteDataRefuses(t *testing.T) {
	for _, tc := range []struct {
		key string
		c   DataConfig
	}{
		{"dims", DataConfig{Dims: 0}},
		{"baskets", DataConfig{Dims: 2, Baskets: -1}},
		{"train", DataConfig{Dims: 2, Train: -1}},
		{"test", DataConfig{Dims: 2, Test: -1}},
		{"smoothing", DataConfig{Dims: 2, Smoothing: math.NaN()}},
		{"smoothing", DataConfig{Dims: 2, Smoothing: math.Inf(1)}},
		{"smoothing", DataConfig{Dims: 2, Smoothing: -0.1}},
	} {
		dir := t.TempDir()
		_, err := WriteData(context.Background(), FolderFiles(dir), tc.c, nil)
		var se *setting.Error
		if !errors.As(err, &se) || se.Key != tc.key {
			t.Errorf("WriteData(%+v): %v, want a *setting.Error of key %s", tc.c, err, tc.key)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("WriteData(%+v) left %d files", tc.c, len(entries))
		}
	}
}

// TestWriteDataCancel cancels in the middle of the training set and checks
// that no part of its archive is left.
func TestWriteDataCancel(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	_, err := WriteData(ctx, FolderFiles(dir), DataConfig{Dims: 2, Train: 1 << 20, Test: 10}, func(string, int, int) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled WriteData: %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("cancelled WriteData left %v", entries)
	}
}
