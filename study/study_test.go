package study

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// tiny returns a study small enough for unit tests.
func tiny() Config {
	c := Quick()
	c.Sizes = []int{6}
	c.Train, c.Test = 1024, 256
	c.Large.Hidden = []int{12, 12}
	c.Large.Epochs = 2
	c.Prune.Boxes = 8
	c.Checkpoints = []int{0, 1, 2}
	return c
}

func TestShardedEqualsWhole(t *testing.T) {
	c := tiny()
	ctx := context.Background()
	whole := t.TempDir()
	if err := Run(ctx, c, whole, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(whole); err != nil {
		t.Fatal(err)
	}
	sharded := t.TempDir()
	for i := range 3 {
		if err := Run(ctx, c, sharded, Options{Shard: Shard{i, 3}, Phase: PhaseLarge, Workers: 1}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if err := Run(ctx, c, sharded, Options{Shard: Shard{i, 3}, Phase: PhaseCells, Workers: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Merge(sharded); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(whole, "cells.csv"))
	b, _ := os.ReadFile(filepath.Join(sharded, "cells.csv"))
	if !bytes.Equal(a, b) || len(a) == 0 {
		t.Fatalf("sharded cells.csv differs from the whole study's:\n%s\n---\n%s", a, b)
	}
	t.Logf("%s", a)
}

// TestHestonProblem runs a tiny study of the heston problem and checks that
// its cells score gamma along S₀ (∂²V/∂S₀², the test set's gamma) and its
// deltas per input.
func TestHestonProblem(t *testing.T) {
	c := tiny()
	c.Problems = []Problem{Heston}
	c.Seeds = 1
	c.Criteria = c.Criteria[:1]
	dir := t.TempDir()
	if err := Run(context.Background(), c, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	m, err := Merge(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Rows) != 2*len(c.Checkpoints) || m.Rows[0].Problem != Heston {
		t.Fatalf("%d rows of problem %v, want %d of heston", len(m.Rows), m.Rows[0].Problem, 2*len(c.Checkpoints))
	}
	for _, r := range m.Rows {
		if len(r.Scores.Deltas) != 4 || r.Scores.R2Gamma != r.Scores.R2Gamma {
			t.Errorf("%s epoch %d: %d deltas, R² gamma %v", r.Cell.ID(), r.Epoch, len(r.Scores.Deltas), r.Scores.R2Gamma)
		}
	}
	var p Problem
	if err := p.UnmarshalText([]byte("heston")); err != nil || p != Heston || p.String() != "heston" {
		t.Errorf("heston reads as %v (%v)", p, err)
	}
}
