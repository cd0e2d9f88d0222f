package main

import (
	"math"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/results"
)

// TestPruneTableUndefined checks that the pruning table shows "–" where an
// over-estimation is not defined (NaN), and never NaN.
func TestPruneTableUndefined(t *testing.T) {
	nan := results.Metric(math.NaN())
	rep := &results.PruneReport{Method: "quadratic", Layers: []results.LayerPrune{
		{Layer: 1, Width: 4, Kept: []int{0, 2}, OverValue: 1.75, OverAdjoint: 3.5, NaiveOverValue: 1.8},
		{Layer: 2, Width: 4, Kept: []int{1}, OverValue: 1.9, OverAdjoint: nan, NaiveOverValue: nan},
	}}
	var b strings.Builder
	if err := writePruneTable(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "NaN") {
		t.Errorf("the table prints NaN:\n%s", out)
	}
	lines := strings.Split(out, "\n")
	if len(lines) < 3 || strings.Join(strings.Fields(lines[2]), " ") != "2 4 1 1.9 – –" {
		t.Errorf("layer 2 row is not \"2 4 1 1.9 – –\":\n%s", out)
	}
}
