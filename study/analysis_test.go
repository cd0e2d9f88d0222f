package study

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/prune"
	"github.com/sobolev-pruning/sobolev/results"
)

// synthetic returns a complete merged study made by hand, without training:
// R² figures that depend on the cell through a formula, and kept sets and
// over-estimations chosen so that their statistics are easy to compute.
func synthetic() *Merged {
	c := Quick()
	c.Problems = []Problem{{"bachelier", 1, 3}, {"bachelier", 4, 3}}
	c.Seeds = 4
	c.Criteria = []prune.Criterion{prune.ByIASA, prune.ByMagnitude, prune.ByRandom}
	c.Sizes = []int{4, 2}
	c.Checkpoints = []int{0, 5, 9}
	m := &Merged{Config: c}
	for _, l := range c.Larges() {
		m.Larges = append(m.Larges, LargeResult{Large: l, Hidden: []int{3, 3}, Scores: results.Scores{R2Value: 0.999, R2Delta: 0.998, R2Gamma: 0.99}})
	}
	for _, cell := range c.Cells() {
		cr := CellResult{Cell: cell, Hidden: []int{cell.Size / 2, cell.Size / 2}}
		if cell.Method != Scratch {
			// Kept: the first Size/2 nodes of each layer, shifted by one for
			// magnitude and by the seed for random.
			shift := map[string]int{"iasa": 0, "magnitude": 1, "random": int(cell.Seed)}[cell.Method]
			for l := 1; l <= 2; l++ {
				lp := results.LayerPrune{Layer: l, Width: 3, OverValue: nanM(), OverAdjoint: nanM(), NaiveOverValue: nanM()}
				for k := range cell.Size / 2 {
					lp.Kept = append(lp.Kept, (k+shift)%3)
				}
				if cell.Method == "iasa" {
					lp.OverValue = results.Metric(1 + float64(l) + float64(cell.Seed)) // geometric mean over seeds 0…3
					lp.NaiveOverValue = results.Metric(10 * float64(l))
					if l == 1 {
						lp.OverAdjoint = 2
					}
				}
				cr.Layers = append(cr.Layers, lp)
			}
		}
		for _, e := range c.Checkpoints {
			r2 := func(k float64) results.Metric {
				mi := map[string]float64{"iasa": 3, "magnitude": 2, "random": 1, Scratch: 0}[cell.Method]
				return results.Metric(1 - k/(1+float64(e)) - 0.01*mi*float64(cell.Seed%3) - 0.001*float64(cell.Size) - 0.0001*float64(cell.Problem.Baskets))
			}
			s := results.Scores{R2Value: r2(0.1), R2Delta: r2(0.2), R2Gamma: r2(0.5), RMSEValue: 1, RMSEDelta: 2, RMSEGamma: 3}
			if cell.Method == "magnitude" && cell.Seed == 1 && e == 9 {
				s.R2Gamma = nanM() // a diverged net: dropped from its pairs
			}
			cr.Checkpoints = append(cr.Checkpoints, Checkpoint{Epoch: e, Scores: s})
			m.Rows = append(m.Rows, Row{Cell: cell, Epoch: e, Scores: s})
		}
		m.Cells = append(m.Cells, cr)
	}
	return m
}

func nanM() results.Metric { return results.Metric(math.NaN()) }

func TestAnalyseCounts(t *testing.T) {
	m := synthetic()
	a := Analyse(m)
	c := m.Config
	P, S, E, M := len(c.Problems), len(c.Sizes), len(c.Checkpoints), len(c.Methods())
	if want := P * M * S * E * len(summaryMetrics); len(a.Summary) != want {
		t.Errorf("%d summary rows, want %d", len(a.Summary), want)
	}
	// 3 criteria vs scratch, 2 vs random, 3 R² each.
	if want := P * S * E * (3 + 2) * 3; len(a.Comparisons) != want {
		t.Errorf("%d comparisons, want %d", len(a.Comparisons), want)
	}
	if want := P * S * 3; len(a.Overlaps) != want {
		t.Errorf("%d overlaps, want %d", len(a.Overlaps), want)
	}
	if want := P * 2; len(a.Over) != want { // iasa only, 2 layers
		t.Errorf("%d over-estimation rows, want %d: %+v", len(a.Over), want, a.Over)
	}
	// Without the control and without random: no comparisons.
	m.Config.Scratch = false
	m.Config.Criteria = []prune.Criterion{prune.ByIASA, prune.ByMagnitude}
	if n := len(Analyse(m).Comparisons); n != 0 {
		t.Errorf("%d comparisons without scratch and random, want 0", n)
	}
}

// TestAnalyseBruteForce recomputes every summary and comparison from the
// rows by a plain search, and the overlaps and over-estimations by hand.
func TestAnalyseBruteForce(t *testing.T) {
	m := synthetic()
	a := Analyse(m)
	get := func(p Problem, meth string, size, epoch int, metric string) []float64 {
		x := make([]float64, m.Config.Seeds)
		for _, r := range m.Rows {
			if r.Problem == p && r.Method == meth && r.Size == size && r.Epoch == epoch {
				for _, mt := range summaryMetrics {
					if mt.name == metric {
						x[r.Seed] = mt.get(r.Scores)
					}
				}
			}
		}
		return x
	}
	for _, r := range a.Summary {
		x := get(r.Problem, r.Method, r.Size, r.Epoch, r.Metric)
		var fin []float64
		sum := 0.0
		for _, v := range x {
			if !math.IsNaN(v) {
				fin = append(fin, v)
				sum += v
			}
		}
		if mean := sum / float64(len(fin)); r.N != len(fin) || !near(r.Mean, mean, 1e-15) {
			t.Fatalf("summary %+v: n %d mean %g, want %d, %g", r.Group, r.N, r.Mean, len(fin), mean)
		}
	}
	sawNaN := false
	for _, r := range a.Comparisons {
		x, y := get(r.Problem, r.Method, r.Size, r.Epoch, r.Metric), get(r.Problem, r.Baseline, r.Size, r.Epoch, r.Metric)
		var d []float64
		for i := range x {
			if v := x[i] - y[i]; !math.IsNaN(v) {
				d = append(d, v)
			}
		}
		sawNaN = sawNaN || len(d) < len(x)
		want := MeanCI(d, Level)
		if r.Diff.N != len(d) || !near(r.Diff.Mean, want.Mean, 1e-15) || !near(r.Diff.Lo, want.Lo, 1e-15) {
			t.Fatalf("comparison %s − %s %v size %d epoch %d %s: diff %+v, want %+v", r.Method, r.Baseline, r.Problem, r.Size, r.Epoch, r.Metric, r.Diff, want)
		}
		if p := bruteWilcoxon(d); !near(r.Wilcoxon, p, 1e-12) {
			t.Fatalf("comparison %s − %s: Wilcoxon p %g, enumeration %g", r.Method, r.Baseline, r.Wilcoxon, p)
		}
	}
	if !sawNaN {
		t.Error("the diverged cell left no pair out")
	}
	// The synthetic R² of iasa is below scratch's by 0.03·(seed mod 3): for
	// seeds 0…3 the differences are 0, −0.03, −0.06, 0.
	for _, r := range a.Comparisons {
		if r.Method == "iasa" && r.Baseline == Scratch && r.Metric == "r2_gamma" {
			if !near(r.Diff.Mean, -0.0225, 1e-12) || r.Wins != 0 || r.Losses != 2 || r.Sign != 0.5 || r.Wilcoxon != 0.5 {
				t.Fatalf("iasa − scratch = %+v, want mean −0.0225, 0 wins, 2 losses, p 0.5", r)
			}
		}
	}
	// Overlaps at size 4 (2 kept per layer of 3): iasa {0,1} vs magnitude
	// {1,2} per layer: Jaccard 2/6 at every seed. Size 2 (1 per layer):
	// {0} vs {1}: 0. iasa vs random: random's shift is the seed.
	jac := map[[2]string]map[int]float64{
		{"iasa", "magnitude"}: {4: 1.0 / 3, 2: 0},
		// shifts 0,1,2,0 → {0,1} vs {0,1},{1,2},{2,0},{0,1}: 1, 1/3, 1/3, 1.
		{"iasa", "random"}: {4: (1 + 1.0/3 + 1.0/3 + 1) / 4, 2: 0.5},
		// {1,2} vs {0,1},{1,2},{2,0},{0,1}: 1/3, 1, 1/3, 1/3.
		{"magnitude", "random"}: {4: (1.0/3 + 1 + 1.0/3 + 1.0/3) / 4, 2: 0.25},
	}
	for _, o := range a.Overlaps {
		if want := jac[[2]string{o.A, o.B}][o.Size]; !near(o.Jaccard.Mean, want, 1e-15) || o.Jaccard.N != 4 {
			t.Errorf("Jaccard %s · %s at %d = %+v, want mean %g over 4 seeds", o.A, o.B, o.Size, o.Jaccard, want)
		}
	}
	// Over-estimation of layer l: geometric mean of 1+l+seed over seeds 0…3
	// (each seed twice: two sizes).
	for _, o := range a.Over {
		l := float64(o.Layer)
		want := math.Pow((1+l)*(2+l)*(3+l)*(4+l), 0.25)
		adj := 2.0
		if o.Layer == 2 {
			adj = math.NaN()
		}
		if o.Method != "iasa" || o.Cells != 8 || !near(o.Value, want, 1e-12) || !near(o.NaiveValue, 10*l, 1e-12) ||
			!(near(o.Adjoint, adj, 1e-12) || math.IsNaN(adj) && math.IsNaN(o.Adjoint)) {
			t.Errorf("over-estimation %+v, want iasa, 8 cells, value %g, adjoint %g, naive %g", o, want, adj, 10*l)
		}
	}
}

func TestWriteCSVs(t *testing.T) {
	m := synthetic()
	a := Analyse(m)
	var b bytes.Buffer
	if err := WriteSummaryCSV(&b, a.Summary); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != len(a.Summary)+1 || strings.Join(rows[0], ",") != strings.Join(summaryHeader, ",") {
		t.Fatalf("summary.csv: %d rows, header %v, %v", len(rows), rows[0], err)
	}
	b.Reset()
	if err := WriteComparisonsCSV(&b, a.Comparisons); err != nil {
		t.Fatal(err)
	}
	rows, err = csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != len(a.Comparisons)+1 {
		t.Fatalf("comparisons.csv: %d rows, %v", len(rows), err)
	}
	for _, r := range rows[1:] {
		if len(r) != len(comparisonHeader) {
			t.Fatalf("comparisons.csv row %v has %d fields, want %d", r, len(r), len(comparisonHeader))
		}
	}
}

// checkPage parses page as XML and returns the number of <svg> elements in
// each problem section, in order.
func checkPage(t *testing.T, page []byte) []int {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(page))
	dec.Strict = true
	dec.Entity = xml.HTMLEntity
	var svgs []int
	depth, inProblem := 0, -1
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("report.html is not well-formed: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			depth++
			if e.Name.Local == "section" {
				for _, at := range e.Attr {
					if at.Name.Local == "class" && at.Value == "problem" {
						svgs, inProblem = append(svgs, 0), depth
					}
				}
			}
			if e.Name.Local == "svg" && inProblem > 0 {
				svgs[len(svgs)-1]++
			}
		case xml.EndElement:
			if depth == inProblem {
				inProblem = -1
			}
			depth--
		}
	}
	return svgs
}

func TestReportSynthetic(t *testing.T) {
	m := synthetic()
	a := Analyse(m)
	var b bytes.Buffer
	if err := WriteReport(&b, "/tmp/a<b>&c", m, a, Summary{Config: m.Config, Cells: len(m.Cells)}); err != nil {
		t.Fatal(err)
	}
	page := b.Bytes()
	svgs := checkPage(t, page)
	// Per problem: 3 against size, 2 against budget (one per size), 2 gaps,
	// 1 over-estimation.
	if len(svgs) != 2 || svgs[0] != 8 || svgs[1] != 8 {
		t.Errorf("plots per problem section = %v, want [8 8]", svgs)
	}
	for _, want := range []string{"/tmp/a&lt;b&gt;&amp;c", "1 − R² gamma (log scale)", "iasa · magnitude", "Wilcoxon p", "bachelier-k4-n3"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if bytes.Contains(page, []byte("<?xml")) || bytes.Contains(page, []byte("a<b>")) {
		t.Error("report.html holds an XML declaration or unescaped text")
	}
}

func TestMergeWritesAnalysis(t *testing.T) {
	c := tiny()
	c.Criteria = []prune.Criterion{prune.ByIASA, prune.ByIASAPlain, prune.ByRandom}
	dir := filepath.Join(t.TempDir(), "study <&>")
	if err := Run(context.Background(), c, dir, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Merge(dir); err != nil {
		t.Fatal(err)
	}
	count := func(name string) int {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return len(rows) - 1
	}
	P, S, E := len(c.Problems), len(c.Sizes), len(c.Checkpoints)
	C := len(c.Criteria) // iasa, iasa-plain, random
	if n, want := count("comparisons.csv"), P*S*E*(C+C-1)*comparedMetrics; n != want {
		t.Errorf("comparisons.csv has %d rows, want %d", n, want)
	}
	if n, want := count("summary.csv"), P*(C+1)*S*E*len(summaryMetrics); n != want {
		t.Errorf("summary.csv has %d rows, want %d", n, want)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	svgs := checkPage(t, page)
	if len(svgs) != P {
		t.Fatalf("%d problem sections, want %d", len(svgs), P)
	}
	for i, n := range svgs {
		// 3 against size, one per size against budget and for the gap, and
		// the over-estimation of iasa and iasa-plain.
		if want := 3 + 2*S + 1; n != want {
			t.Errorf("problem section %d has %d plots, want %d", i, n, want)
		}
	}
	for _, want := range []string{"iasa-plain, values", "iasa-plain, adjoints", "iasa, adjoints", "iasa · iasa-plain"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// No temporary files left beside the results.
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := "cells cells.csv comparisons.csv config.json large report.html study.json summary.csv"; strings.Join(names, " ") != want {
		t.Errorf("study folder holds %v, want %s", names, want)
	}
}
