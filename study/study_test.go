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
