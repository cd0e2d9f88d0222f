package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStudyQuickSharded runs "sobolev study --preset quick" whole and in
// three shards (large nets first, then cells, as a job array would) and
// checks that the merged cells.csv are the same bytes.
func TestStudyQuickSharded(t *testing.T) {
	ctx := context.Background()
	whole, sharded := t.TempDir(), t.TempDir()
	if _, stderr, err := runSobolev(ctx, "study", "--preset", "quick", "--out", whole); err != nil {
		t.Fatalf("study: %v\n%s", err, stderr)
	}
	for _, phase := range []string{"large", "cells"} {
		for _, shard := range []string{"0/3", "1/3", "2/3"} {
			if _, stderr, err := runSobolev(ctx, "study", "--preset", "quick", "--out", sharded, "--phase", phase, "--shard", shard, "--workers", "1"); err != nil {
				t.Fatalf("study --phase %s --shard %s: %v\n%s", phase, shard, err, stderr)
			}
		}
	}
	for _, dir := range []string{whole, sharded} {
		if _, stderr, err := runSobolev(ctx, "study", "merge", dir); err != nil {
			t.Fatalf("study merge: %v\n%s", err, stderr)
		}
	}
	a, err := os.ReadFile(filepath.Join(whole, "cells.csv"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(sharded, "cells.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("cells.csv of the sharded study differs from the whole study's")
	}
	if rows := strings.Count(string(a), "\n"); rows != 1+2*4*2*3 {
		t.Errorf("cells.csv has %d lines, want a header and 48 rows", rows)
	}

	// A re-run finds every cell done and changes nothing.
	before, _ := os.ReadFile(filepath.Join(whole, "cells", "bachelier-k2-n5-s0-iasa-12.json"))
	if _, stderr, err := runSobolev(ctx, "study", "--preset", "quick", "--out", whole); err != nil {
		t.Fatalf("re-run: %v\n%s", err, stderr)
	}
	after, _ := os.ReadFile(filepath.Join(whole, "cells", "bachelier-k2-n5-s0-iasa-12.json"))
	if !bytes.Equal(before, after) {
		t.Error("a re-run rewrote a finished cell")
	}
}

// TestStudyErrors checks the messages of bad study flags and of merging an
// incomplete study.
func TestStudyErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", dir, "--shard", "3/2"}, `--shard "3/2": want i/N with 0 ≤ i < N`},
		{[]string{"--out", dir, "--phase", "some"}, `--phase "some": want all, large or cells`},
		{[]string{"--out", dir, "--sizes", "2000"}, `--sizes 2000: want a number of hidden nodes in [6, 768]`},
		{[]string{"--out", dir, "--problems", "heston-k1"}, `want bachelier-kK-nN`},
		{[]string{"--out", dir, "--criteria", "l1"}, `want iasa, magnitude`},
		{[]string{"--out", dir, "--shard", "auto"}, `neither SLURM_ARRAY_TASK_ID`},
		{[]string{"--preset", "quick"}, `--out DIR is required`},
		{[]string{"--out", dir, "--config", filepath.Join(dir, "missing.yaml")}, `missing.yaml: no such file`},
	} {
		_, _, err := runSobolev(ctx, append([]string{"study"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("study %s: %v, want an error containing %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}

	// Cells of one large net only: merge lists the missing ones.
	part := t.TempDir()
	if _, stderr, err := runSobolev(ctx, "study", "--preset", "quick", "--seeds", "2", "--out", part, "--shard", "0/2", "--phase", "large"); err != nil {
		t.Fatalf("study: %v\n%s", err, stderr)
	}
	_, _, err := runSobolev(ctx, "study", "merge", part)
	if err == nil || !strings.Contains(err.Error(), "large net bachelier-k2-n5-s1") || !strings.Contains(err.Error(), "16 of 16 cells missing") {
		t.Errorf("merge of a study without cells: %v, want the missing large net and cells listed", err)
	}
	_, _, err = runSobolev(ctx, "study", "--preset", "quick", "--out", part, "--phase", "cells")
	if err == nil || !strings.Contains(err.Error(), "needs the large nets [bachelier-k2-n5-s1]") {
		t.Errorf("cells without their large net: %v, want the missing large net named", err)
	}
	_, _, err = runSobolev(ctx, "study", "--preset", "quick", "--seeds", "1", "--out", part)
	if err == nil || !strings.Contains(err.Error(), "another configuration") {
		t.Errorf("another study in the same folder: %v, want a refusal", err)
	}
}
