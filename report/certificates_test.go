package report

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/results"
)

// TestWriteCertificates shows the shape certificates of the stages that
// have one in a table, with a note saying what they mean, and no section
// for a run without them.
func TestWriteCertificates(t *testing.T) {
	out := t.TempDir()
	res := writeRun(t, out, fixture{testRows: 50, stages: 3})
	if err := Write(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	if checkPage(t, out).byID("certificates") != nil {
		t.Error("a run without certificates has a certificates section")
	}

	res.Stages[0].Certificate = &results.Certificate{Check: "delta>=0,gamma>=0", Proved: 0.5, Refuted: 0.125, Undecided: 0.375,
		Counterexamples: 2, Boxes: 1234, Depth: 8, Probes: 64, Seconds: 2.5}
	res.Stages[2].Certificate = &results.Certificate{Check: "delta>=0,gamma>=0", Proved: 1, Boxes: 1, Depth: 8, Seconds: 0.01}
	if err := res.Write(filepath.Join(out, "results.json")); err != nil {
		t.Fatal(err)
	}
	if err := Write(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	page := checkPage(t, out)
	sec := page.byID("certificates")
	if sec == nil {
		t.Fatal("no certificates section")
	}
	var rows [][]string
	for _, tr := range sec.all("tr")[1:] {
		var row []string
		for _, td := range tr.all("td") {
			row = append(row, strings.TrimSpace(td.allText()))
		}
		rows = append(rows, row)
	}
	want := [][]string{
		{"large-sobolev", "50.0%", "12.5%", "37.5%", "2", "1,234", "8", "64"},
		{"pruned-sobolev-ft", "100.0%", "0.0%", "0.0%", "0", "1", "8", "0"},
	}
	if len(rows) != len(want) {
		t.Fatalf("certificate rows %q, want %q", rows, want)
	}
	for i := range want {
		if len(rows[i]) != 9 || !slices.Equal(rows[i][:8], want[i]) {
			t.Errorf("row %d: %q, want %q", i, rows[i], want[i])
		}
	}
	if text := sec.allText(); !strings.Contains(text, "arbitrage") || !strings.Contains(text, "delta>=0,gamma>=0") {
		t.Errorf("the certificates section does not say what it checks and means: %q", text)
	}
}
