package study

import (
	"encoding/csv"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/sobolev-pruning/sobolev/prune"
	"github.com/sobolev-pruning/sobolev/results"
)

// A metric is one figure of results.Scores that the summaries aggregate.
type metric struct {
	name string
	get  func(results.Scores) float64
}

// summaryMetrics are the figures of summary.csv; the first three, the R²,
// are also those of comparisons.csv.
var summaryMetrics = [...]metric{
	{"r2_value", func(s results.Scores) float64 { return float64(s.R2Value) }},
	{"r2_delta", func(s results.Scores) float64 { return float64(s.R2Delta) }},
	{"r2_gamma", func(s results.Scores) float64 { return float64(s.R2Gamma) }},
	{"rmse_value", func(s results.Scores) float64 { return float64(s.RMSEValue) }},
	{"rmse_delta", func(s results.Scores) float64 { return float64(s.RMSEDelta) }},
	{"rmse_gamma", func(s results.Scores) float64 { return float64(s.RMSEGamma) }},
}

// comparedMetrics is the number of leading summaryMetrics compared pairwise:
// R² of value, deltas and gamma. (A seed's test set is the same for every
// method, so the paired differences of an RMSE have the signs of those of its
// R², and the tests on them would say the same.)
const comparedMetrics = 3

// Group names the cells of one problem, method and size at one checkpoint
// epoch: a group of the summaries, one cell per seed.
type Group struct {
	Problem Problem
	Method  string
	Size    int
	Epoch   int
}

// SummaryRow is a row of summary.csv: the mean of one Metric over the seeds
// of a Group with its t interval at confidence Level.
type SummaryRow struct {
	Group
	// Metric is r2_value, r2_delta, r2_gamma, rmse_value, rmse_delta or
	// rmse_gamma (cells.csv's columns).
	Metric string
	Interval
}

// Comparison is a row of comparisons.csv: the paired comparison over the
// seeds of Method against Baseline (scratch or random) for one problem, size
// and checkpoint epoch. Its differences are Method − Baseline, so a positive
// mean says Method's R² is higher.
type Comparison struct {
	Problem  Problem
	Size     int
	Epoch    int
	Method   string
	Baseline string
	// Metric is r2_value, r2_delta or r2_gamma.
	Metric string
	Paired
}

// Overlap is the Jaccard index |A ∩ B| / |A ∪ B| of the sets of hidden nodes
// (layer, index) kept by criteria A and B from the same large net, for one
// problem and kept size, as its mean over the seeds with a t interval.
type Overlap struct {
	Problem Problem
	Size    int
	A, B    string
	Jaccard Interval
}

// OverEstimate is the over-estimation of a criterion's interval enclosures
// in one hidden layer for one problem: enclosure width ÷ sampled range
// (dimensionless, 1 is exact), the geometric mean over the criterion's cells
// (all seeds and sizes) of each cell's figure (results.LayerPrune: the median
// over the layer's nodes). NaN where no cell has a positive finite figure.
// The analysis runs on the large net before any node is removed, so a seed's
// figures are the same at every size.
type OverEstimate struct {
	Problem Problem
	Method  string
	Layer   int
	// Value and Adjoint are those of the criterion's enclosures; NaiveValue
	// is that of plain intervals on the same boxes.
	Value, Adjoint, NaiveValue float64
	// Cells is the number of cells averaged.
	Cells int
}

// Analysis holds the statistics of a merged study, in grid order.
type Analysis struct {
	// Summary has one row per group (problems, methods, sizes, epochs) and
	// metric.
	Summary []SummaryRow
	// Comparisons has, per problem, size and epoch, every criterion against
	// scratch (if the study has the control), then every criterion but
	// random against random (if random is a criterion), each for R² of
	// value, deltas and gamma.
	Comparisons []Comparison
	// Overlaps has, per problem and size, every pair of criteria in the
	// study's order.
	Overlaps []Overlap
	// Over has, per problem, criterion and layer, the over-estimation of the
	// criteria whose cells measure it (iasa, iasa-plain).
	Over []OverEstimate
}

// seedScores returns, for each group, the scores of its cells by seed.
func seedScores(m *Merged) map[Group][]results.Scores {
	by := map[Group][]results.Scores{}
	for _, r := range m.Rows {
		g := Group{r.Problem, r.Method, r.Size, r.Epoch}
		s := by[g]
		if s == nil {
			s = make([]results.Scores, m.Config.Seeds)
		}
		s[r.Seed] = r.Scores
		by[g] = s
	}
	return by
}

// Analyse computes the statistics of the merged study m: the summary over
// seeds, the paired comparisons, the overlaps of the kept sets and the
// over-estimation of the IASA enclosures. m must be complete, as Collect
// returns it.
func Analyse(m *Merged) *Analysis {
	c := m.Config
	by := seedScores(m)
	a := &Analysis{}
	values := func(g Group, mt metric) []float64 {
		s := by[g]
		x := make([]float64, len(s))
		for i := range s {
			x[i] = mt.get(s[i])
		}
		return x
	}
	finite := func(x []float64) []float64 {
		return slices.DeleteFunc(slices.Clone(x), func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) })
	}
	for _, p := range c.Problems {
		for _, meth := range c.Methods() {
			for _, size := range c.Sizes {
				for _, e := range c.Checkpoints {
					g := Group{p, meth, size, e}
					for _, mt := range summaryMetrics {
						a.Summary = append(a.Summary, SummaryRow{Group: g, Metric: mt.name, Interval: MeanCI(finite(values(g, mt)), Level)})
					}
				}
			}
		}
	}
	var criteria []string
	for _, cr := range c.Criteria {
		criteria = append(criteria, cr.String())
	}
	random := prune.ByRandom.String()
	for _, p := range c.Problems {
		for _, size := range c.Sizes {
			for _, e := range c.Checkpoints {
				compare := func(meth, base string) {
					for _, mt := range summaryMetrics[:comparedMetrics] {
						a.Comparisons = append(a.Comparisons, Comparison{Problem: p, Size: size, Epoch: e, Method: meth, Baseline: base,
							Metric: mt.name, Paired: ComparePaired(values(Group{p, meth, size, e}, mt), values(Group{p, base, size, e}, mt), Level)})
					}
				}
				if c.Scratch {
					for _, meth := range criteria {
						compare(meth, Scratch)
					}
				}
				if slices.Contains(criteria, random) {
					for _, meth := range criteria {
						if meth != random {
							compare(meth, random)
						}
					}
				}
			}
		}
	}
	a.Overlaps = overlaps(m, criteria)
	a.Over = overEstimates(m, criteria)
	return a
}

// node is a hidden node: its layer (from 1) and index in the layer.
type node struct{ layer, index int }

// keptSet returns the nodes kept by a cell.
func keptSet(cr *CellResult) map[node]bool {
	set := map[node]bool{}
	for _, l := range cr.Layers {
		for _, k := range l.Kept {
			set[node{l.Layer, k}] = true
		}
	}
	return set
}

// Jaccard returns |a ∩ b| / |a ∪ b|, and 1 for two empty sets.
func jaccard(a, b map[node]bool) float64 {
	inter := 0
	for n := range a {
		if b[n] {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 1
	}
	return float64(inter) / float64(union)
}

// overlaps returns the Jaccard overlaps of the kept sets of every pair of
// criteria, per problem and size, averaged over the seeds.
func overlaps(m *Merged, criteria []string) []Overlap {
	cells := map[Cell]*CellResult{}
	for i := range m.Cells {
		cells[m.Cells[i].Cell] = &m.Cells[i]
	}
	var out []Overlap
	c := m.Config
	for _, p := range c.Problems {
		for _, size := range c.Sizes {
			for i, a := range criteria {
				for _, b := range criteria[i+1:] {
					var j []float64
					for s := range c.Seeds {
						ca, cb := cells[Cell{p, uint64(s), a, size}], cells[Cell{p, uint64(s), b, size}]
						if ca != nil && cb != nil {
							j = append(j, jaccard(keptSet(ca), keptSet(cb)))
						}
					}
					out = append(out, Overlap{Problem: p, Size: size, A: a, B: b, Jaccard: MeanCI(j, Level)})
				}
			}
		}
	}
	return out
}

// overEstimates returns the over-estimation per problem, criterion and layer
// of the criteria whose cells measure it.
func overEstimates(m *Merged, criteria []string) []OverEstimate {
	var out []OverEstimate
	for _, p := range m.Config.Problems {
		for _, meth := range criteria {
			var rows []OverEstimate
			measured := false
			for _, cr := range m.Cells {
				if cr.Cell.Problem != p || cr.Cell.Method != meth {
					continue
				}
				for _, l := range cr.Layers {
					for len(rows) < l.Layer {
						rows = append(rows, OverEstimate{Problem: p, Method: meth, Layer: len(rows) + 1})
					}
					r := &rows[l.Layer-1]
					r.Cells++
					// Sums of logarithms and counts, turned into geometric
					// means below.
					r.Value += logOrNaN(float64(l.OverValue))
					r.Adjoint += logOrNaN(float64(l.OverAdjoint))
					r.NaiveValue += logOrNaN(float64(l.NaiveOverValue))
				}
			}
			// Geometric means over the cells with a figure; a cell without
			// one (NaN) makes that figure NaN, as the adjoints of the last
			// hidden layer are in every cell.
			for i := range rows {
				r := &rows[i]
				n := float64(r.Cells)
				r.Value, r.Adjoint, r.NaiveValue = math.Exp(r.Value/n), math.Exp(r.Adjoint/n), math.Exp(r.NaiveValue/n)
				measured = measured || !math.IsNaN(r.Value) || !math.IsNaN(r.Adjoint) || !math.IsNaN(r.NaiveValue)
			}
			if measured {
				out = append(out, rows...)
			}
		}
	}
	return out
}

// logOrNaN returns log(x) for a positive finite x and NaN otherwise.
func logOrNaN(x float64) float64 {
	if x > 0 && !math.IsInf(x, 0) {
		return math.Log(x)
	}
	return math.NaN()
}

// formatFloat writes x with the shortest decimal that reads back to it, "NaN"
// for NaN (as cells.csv).
func formatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// summaryHeader names the columns of summary.csv.
var summaryHeader = []string{"problem", "method", "size", "epoch", "metric", "n", "mean", "sd", "ci_lo", "ci_hi"}

// WriteSummaryCSV writes rows as summary.csv: a header line, then one line
// per group and metric (tidy, long format) with the number of seeds n, the
// mean, the sample standard deviation and the bounds of the t interval at
// confidence Level; NaN where undefined (one seed).
func WriteSummaryCSV(w io.Writer, rows []SummaryRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(summaryHeader); err != nil {
		return err
	}
	for _, r := range rows {
		rec := []string{r.Problem.String(), r.Method, strconv.Itoa(r.Size), strconv.Itoa(r.Epoch), r.Metric,
			strconv.Itoa(r.N), formatFloat(r.Mean), formatFloat(r.SD), formatFloat(r.Lo), formatFloat(r.Hi)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// comparisonHeader names the columns of comparisons.csv.
var comparisonHeader = []string{"problem", "size", "epoch", "method", "baseline", "metric", "n",
	"wins", "losses", "mean_diff", "ci_lo", "ci_hi", "wilcoxon_w", "wilcoxon_p", "sign_p"}

// WriteComparisonsCSV writes rows as comparisons.csv: a header line, then one
// line per comparison and metric (tidy) with the number of seeds n, the seeds
// where method − baseline is positive (wins) and negative (losses), the mean
// paired difference with its t interval at confidence Level, Wilcoxon's W+
// with its exact two-sided p-value and the sign test's p-value.
func WriteComparisonsCSV(w io.Writer, rows []Comparison) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(comparisonHeader); err != nil {
		return err
	}
	for _, r := range rows {
		rec := []string{r.Problem.String(), strconv.Itoa(r.Size), strconv.Itoa(r.Epoch), r.Method, r.Baseline, r.Metric,
			strconv.Itoa(r.Diff.N), strconv.Itoa(r.Wins), strconv.Itoa(r.Losses),
			formatFloat(r.Diff.Mean), formatFloat(r.Diff.Lo), formatFloat(r.Diff.Hi),
			formatFloat(r.W), formatFloat(r.Wilcoxon), formatFloat(r.Sign)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
