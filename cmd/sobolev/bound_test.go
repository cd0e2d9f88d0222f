package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestBound checks that the enclosures printed contain the sampled ranges,
// that the table and the JSON agree in shape, and the refusals.
func TestBound(t *testing.T) {
	dir := t.TempDir()
	train, _ := testData(t, dir, 3)
	large := trainLarge(t, dir, train)
	stdout, _, err := runSobolev(context.Background(), "bound", "--model", large, "--box", "0.9:1.1", "--subdivide", "8", "--samples", "2000", "--json")
	if err != nil {
		t.Fatal(err)
	}
	first := stdout
	var rep boundReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v in %s", err, stdout)
	}
	inside := func(name string, enc, smp [2]float64) {
		if !(enc[0] <= smp[0] && smp[1] <= enc[1]) {
			t.Errorf("%s: sampled %v outside the enclosure %v", name, smp, enc)
		}
	}
	if rep.Boxes != 8 || rep.Sampled.Points != 2000 || len(rep.Delta) != 3 || len(rep.HessianDiag) != 3 {
		t.Fatalf("report %+v", rep)
	}
	inside("value", rep.Value, rep.Sampled.Value)
	inside("gamma", rep.Gamma, rep.Sampled.Gamma)
	for j := range 3 {
		inside("delta", rep.Delta[j], rep.Sampled.Delta[j])
		inside("hessian", rep.HessianDiag[j], rep.Sampled.HessianDiag[j])
	}
	stdout, _, err = runSobolev(context.Background(), "bound", "--model", large, "--box", "0.9:1.1,0.95:1.05,1:1.1", "--direction", "1,0,0")
	if err != nil || !strings.Contains(stdout, "H[2][2]") || !strings.Contains(stdout, "64 boxes; every enclosure contains") {
		t.Errorf("bound table: %v\n%s", err, stdout)
	}
	stdout, _, err = runSobolev(context.Background(), "bound", "--model", large, "--box", "0.9:1.1", "--check", "delta>=0, gamma>=0", "--depth", "4", "--json")
	var cert struct {
		Proved, Refuted float64
		Undecided       int `json:"undecided_boxes"`
		Boxes           int
	}
	if err != nil || json.Unmarshal([]byte(stdout), &cert) != nil || cert.Boxes < 1 || cert.Proved+cert.Refuted > 1+1e-12 ||
		(cert.Undecided == 0 && cert.Proved+cert.Refuted < 1-1e-12) {
		t.Errorf("bound --check: %v, %+v from %s", err, cert, stdout)
	}
	// --boxes, deprecated, is --subdivide.
	alias, _, err := runSobolev(context.Background(), "bound", "--model", large, "--box", "0.9:1.1", "--boxes", "8", "--samples", "2000", "--json")
	// (cobra prints the deprecation note with Print: to stderr, to the
	// command's output if set, as here).
	rest, noted := strings.CutPrefix(alias, "Flag --boxes has been deprecated, use --subdivide\n")
	if err != nil || rest != first || !noted {
		t.Errorf("bound --boxes 8: %v, printed %s; want a deprecation note and the output of --subdivide 8", err, alias)
	}
	// delta[j]>=0 checks one input's delta: a subset of delta>=0's conditions
	// proves at least as much.
	checkJSON := func(check string) (proved float64) {
		t.Helper()
		out, _, err := runSobolev(context.Background(), "bound", "--model", large, "--box", "0.9:1.1", "--check", check, "--depth", "3", "--json")
		var c struct{ Proved float64 }
		if err != nil || json.Unmarshal([]byte(out), &c) != nil {
			t.Fatalf("bound --check %s: %v, %s", check, err, out)
		}
		return c.Proved
	}
	if one, every := checkJSON("delta[1]>=0"), checkJSON("delta>=0"); one < every {
		t.Errorf("delta[1]>=0 proved on %v of the box, delta>=0 on %v; want at least as much", one, every)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", large, "--box", "0:1", "--check", "vega>=0"}, `bound: --check "vega>=0": condition "vega>=0", want delta>=0, delta[j]>=0 or gamma>=0`},
		{[]string{"--model", large, "--box", "0:1", "--check", "delta[3]>=0"}, `condition "delta[3]>=0" names no input, want delta[j]>=0 with j from 0 to 2`},
		{[]string{"--model", large, "--box", "0:1", "--check", "delta>=0", "--depth", "-1"}, "bound: depth -1, want ≥ 0"},
		{[]string{"--model", large, "--box", "1:0"}, `bound: --box "1:0": range 1 is "1:0": lo 1 ≥ hi 0`},
		{[]string{"--model", large, "--box", "0:1", "--samples", "0"}, "bound: 0 sample points, want at least 1"},
		{[]string{"--model", large, "--box", "0:1", "--subdivide", "-2"}, "bound: --subdivide -2, want at least 1 piece"},
		{[]string{"--model", large, "--box", "0:1", "--subdivide", "0"}, "bound: --subdivide 0, want at least 1 piece"},
		{[]string{"--model", large, "--box", "0:1", "--direction", "1,2"}, "2 entries for a model of 3 inputs"},
		{[]string{"--model", filepath.Join(dir, "none.onnx"), "--box", "0:1"}, "bound: --model"},
		{[]string{"--model", large}, `required flag(s) "box" not set`},
	} {
		_, _, err := runSobolev(context.Background(), append([]string{"bound"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("bound %v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}
