package dataset

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// countdown is a context that is cancelled after its Err has been asked
// left times: a cancellation at a deterministic point of the work.
type countdown struct {
	context.Context
	left int
}

func (c *countdown) Err() error {
	if c.left == 0 {
		return context.Canceled
	}
	c.left--
	return nil
}

// TestCloseContextCancelled cancels the assembly of an archive in the middle
// of its first array (so not between arrays) and checks that CloseContext returns context.Canceled
// and leaves no file; without cancellation it writes WriteNPZ's bytes.
func TestCloseContextCancelled(t *testing.T) {
	const rows, n = 20000, 3 // x is 480 kB: several chunks
	rng := rand.New(rand.NewPCG(1, 2))
	s := New(rows, n, WithGamma)
	for _, a := range [][]float64{s.X, s.Y, s.DYDX, s.Gamma} {
		for i := range a {
			a[i] = rng.NormFloat64()
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "a.npz")
	write := func(ctx context.Context) error {
		w, err := CreateNPZ(path, n, WithGamma)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Abort()
		for i := 0; i < rows; i += 4096 {
			if err := w.Write(s.Slice(i, min(i+4096, rows))); err != nil {
				t.Fatal(err)
			}
		}
		return w.CloseContext(ctx)
	}
	for _, left := range []int{0, 1, 5} { // 5: inside x, which takes 8 chunks
		if err := write(&countdown{Context: context.Background(), left: left}); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled after %d checks: CloseContext returned %v, want context.Canceled", left, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("cancelled after %d checks: the directory holds %d entries, want none", left, len(entries))
		}
	}
	if err := write(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "b.npz")
	if err := WriteNPZ(want, s); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(want); !bytes.Equal(got, b) {
		t.Error("CloseContext wrote other bytes than WriteNPZ")
	}
}
