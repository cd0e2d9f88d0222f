package pipeline

import (
	"context"
	"strings"
	"testing"
)

// TestRunLogIASAUndefined checks that the IASA lines of the run log show "–",
// not NaN, where an over-estimation is not defined: the adjoints of the last
// hidden layer are constant, so their ratio is.
func TestRunLogIASAUndefined(t *testing.T) {
	var log strings.Builder
	res, err := Run(context.Background(), tiny(), t.TempDir(), Hooks{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(log.String(), "NaN") {
		t.Errorf("the run log prints NaN:\n%s", log.String())
	}
	last := res.IASA.Layers[len(res.IASA.Layers)-1]
	if float64(last.OverAdjoint) == float64(last.OverAdjoint) {
		t.Fatalf("last hidden layer: adjoint over-estimation %v, want NaN (constant adjoints)", last.OverAdjoint)
	}
	if !strings.Contains(log.String(), "adjoint – (naive value") {
		t.Errorf("the run log does not show the last layer's adjoint over-estimation as –:\n%s", log.String())
	}
}
