package main

import (
	"archive/zip"
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/results"
)

// writeFloat32NPZ writes x, y, dydx and gamma as a .npz archive of '<f4'
// arrays, as numpy.savez writes float32 arrays, with the .npy headers written
// by hand. The values must be float32 values.
func writeFloat32NPZ(t *testing.T, path string, n int, x, y, dydx, gamma []float64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	rows := strconv.Itoa(len(y))
	for _, a := range []struct {
		name, shape string
		data        []float64
	}{
		{"x", "(" + rows + ", " + strconv.Itoa(n) + ")", x},
		{"y", "(" + rows + ",)", y},
		{"dydx", "(" + rows + ", " + strconv.Itoa(n) + ")", dydx},
		{"gamma", "(" + rows + ",)", gamma},
	} {
		dict := "{'descr': '<f4', 'fortran_order': False, 'shape': " + a.shape + ", }"
		total := (10 + len(dict) + 1 + 63) / 64 * 64
		b := []byte("\x93NUMPY\x01\x00")
		b = binary.LittleEndian.AppendUint16(b, uint16(total-10))
		b = append(b, dict...)
		b = append(b, strings.Repeat(" ", total-len(b)-1)...)
		b = append(b, '\n')
		for _, v := range a.data {
			if float64(float32(v)) != v {
				t.Fatalf("array %s: %v is not a float32", a.name, v)
			}
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
		}
		w, err := zw.Create(a.name + ".npy")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestEvalWidensFloat32 trains on and evaluates a float32 archive, as PyTorch
// and JAX users save them: both commands read it, say on standard error which
// arrays they widened, and eval scores the float64 values of the float32 data.
func TestEvalWidensFloat32(t *testing.T) {
	dir := t.TempDir()
	m, err := bachelier.New(2, 1)
	if err != nil {
		t.Fatal(err)
	}
	set := m.TestSet(100, false)
	for _, a := range [][]float64{set.X, set.Y, set.DYDX, set.Gamma} {
		for i, v := range a {
			a[i] = float64(float32(v))
		}
	}
	data := filepath.Join(dir, "f32.npz")
	writeFloat32NPZ(t, data, 2, set.X, set.Y, set.DYDX, set.Gamma)
	lines := func(command string) string {
		var b strings.Builder
		for _, a := range []string{"x", "y", "dydx", "gamma"} {
			b.WriteString("sobolev " + command + ": " + data + ": " + a + " is float32 ('<f4'), widened to float64 exactly\n")
		}
		return b.String()
	}

	model := filepath.Join(dir, "m.onnx")
	_, stderr, err := runSobolev(context.Background(), "train", "--data", data, "--hidden", "4", "--epochs", "1",
		"--no-progress", "--out", model)
	if err != nil {
		t.Fatalf("train on float32 data: %v\n%s", err, stderr)
	}
	if !strings.HasPrefix(stderr, lines("train")) {
		t.Errorf("train on float32 data: standard error\n%s\nwant it to start with\n%s", stderr, lines("train"))
	}

	stdout, stderr, err := runSobolev(context.Background(), "eval", "--model", model, "--data", data, "--json")
	if err != nil {
		t.Fatalf("eval on float32 data: %v\n%s", err, stderr)
	}
	if stderr != lines("eval") {
		t.Errorf("eval on float32 data: standard error\n%s\nwant\n%s", stderr, lines("eval"))
	}
	var got results.Scores
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, stdout)
	}
	if want := pipeline.Evaluate(loadNet(t, model), set); !reflect.DeepEqual(got, want) {
		t.Errorf("eval --json scores\n%+v\nwant those of the float64 values of the data\n%+v", got, want)
	}
}
