package report

import (
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/heston"
)

// TestHestonLabels checks the report's description of Heston training
// labels: the smoothing for pathwise labels only, the paths when several.
func TestHestonLabels(t *testing.T) {
	c := heston.DefaultDataConfig()
	c.Paths = 16
	got := hestonLabels(new(c.Spec()))
	for _, want := range []string{"mixing labels", "256 steps", "widening 0.05", "antithetic true", "16 paths per sample"} {
		if !strings.Contains(got, want) {
			t.Errorf("mixing: %q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "smoothing") {
		t.Errorf("mixing: %q names the smoothing, which mixing labels do not use", got)
	}
	c.Labels, c.Paths = heston.Pathwise, 1
	got = hestonLabels(new(c.Spec()))
	if !strings.Contains(got, "pathwise labels") || !strings.Contains(got, "smoothing 0.0075") || strings.Contains(got, "paths per sample") {
		t.Errorf("pathwise, one path: %q", got)
	}
}
