package study

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sobolev-pruning/sobolev/prune"
	"github.com/sobolev-pruning/sobolev/report"
)

// Plot size in inches; the legend takes a strip at the right.
const plotW, plotH = 5.4, 3.5

// svgFigure is a plot of the study report, an inline SVG element.
type svgFigure struct {
	ID      string
	SVG     template.HTML // made by report.SVG, whose text svgo escapes
	Caption string
}

// tcell is a table cell; Num right-aligns it, Strong marks a p-value below
// 0.05.
type tcell struct {
	Text        string
	Num, Strong bool
}

// table is a titled table of the report.
type table struct {
	Caption string
	Header  []string
	Rows    [][]tcell
}

// problemView is the section of one problem.
type problemView struct {
	ID, Name, Large string
	BySize          []svgFigure
	ByBudget        []svgFigure
	Gap             []svgFigure
	Over            []svgFigure
	Tables          []table
	Notes           []string
}

// studyPage is the content of report.html.
type studyPage struct {
	Title, Dir, Summary string
	Config              []report.Table
	Environment         [][2]string
	Problems            []problemView
}

// WriteReport writes the HTML study report of m with the statistics a and
// the record s of study.json to w: a self-contained page (inline SVG plots,
// inline style, no scripts), one section per problem (see the merge
// command's help). dir names the study's folder in the page.
func WriteReport(w io.Writer, dir string, m *Merged, a *Analysis, s Summary) error {
	pg, err := studyReport(dir, m, a, s)
	if err != nil {
		return err
	}
	return studyTemplate.Execute(w, pg)
}

// studyReport returns the page of the study.
func studyReport(dir string, m *Merged, a *Analysis, s Summary) (*studyPage, error) {
	c := m.Config
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	cfg, err := report.ConfigTables(raw, "study")
	if err != nil {
		return nil, fmt.Errorf("study report: configuration: %v", err)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	env := s.Environment
	pg := &studyPage{
		Title: "Sobolev pruning study: " + filepath.Base(dir),
		Dir:   dir,
		Summary: fmt.Sprintf("%d problems × %d seeds × %d methods × %d sizes = %d cells, evaluated after %s epochs of fine-tuning; compute %s s for the large nets and %s s for the cells.",
			len(c.Problems), c.Seeds, len(c.Methods()), len(c.Sizes), s.Cells, joinInts(c.Checkpoints), fmtG(s.LargeSeconds), fmtG(s.CellSeconds)),
		Config: cfg,
		Environment: [][2]string{{"Go", env.GoVersion}, {"OS / arch", env.OS + " / " + env.Arch}, {"CPU", orDash(env.CPU)},
			{"threads (merge)", strconv.Itoa(env.Procs)}, {"BLAS", orDash(env.BLAS)}, {"evaluation kernel", orDash(env.EvalKernel)}},
	}
	v := newViews(m, a)
	for i, p := range c.Problems {
		pv, err := v.problem(i, p)
		if err != nil {
			return nil, err
		}
		pg.Problems = append(pg.Problems, pv)
	}
	return pg, nil
}

// views indexes the statistics for the sections.
type views struct {
	m       *Merged
	a       *Analysis
	summary map[Group]map[string]Interval
	vs      map[compKey]Paired
}

// compKey names a comparison.
type compKey struct {
	Problem      Problem
	Size, Epoch  int
	Method, Base string
	Metric       string
}

func newViews(m *Merged, a *Analysis) *views {
	v := &views{m: m, a: a, summary: map[Group]map[string]Interval{}, vs: map[compKey]Paired{}}
	for _, r := range a.Summary {
		if v.summary[r.Group] == nil {
			v.summary[r.Group] = map[string]Interval{}
		}
		v.summary[r.Group][r.Metric] = r.Interval
	}
	for _, r := range a.Comparisons {
		v.vs[compKey{r.Problem, r.Size, r.Epoch, r.Method, r.Baseline, r.Metric}] = r.Paired
	}
	return v
}

// quantity is a metric of the plots: its column and its name.
type quantity struct{ metric, name string }

var plotted = [...]quantity{{"r2_gamma", "gamma"}, {"r2_value", "value"}, {"r2_delta", "delta"}}

// problem returns the section of problem p, the i-th.
func (v *views) problem(i int, p Problem) (problemView, error) {
	c := v.m.Config
	pv := problemView{ID: fmt.Sprintf("problem%d", i+1), Name: p.String(),
		Large: v.largeLine(p)}
	last := c.Checkpoints[len(c.Checkpoints)-1]
	for _, q := range plotted {
		f, err := v.sizePlot(p, q, last, fmt.Sprintf("%s-size-%s", pv.ID, q.name))
		if err != nil {
			return pv, err
		}
		pv.BySize = append(pv.BySize, f)
	}
	for _, size := range c.Sizes {
		f, err := v.budgetPlot(p, size, fmt.Sprintf("%s-budget-%d", pv.ID, size))
		if err != nil {
			return pv, err
		}
		pv.ByBudget = append(pv.ByBudget, f)
	}
	if c.Scratch && len(c.Criteria) > 0 {
		for _, size := range c.Sizes {
			f, ok, err := v.gapPlot(p, size, fmt.Sprintf("%s-gap-%d", pv.ID, size))
			if err != nil {
				return pv, err
			}
			if ok {
				pv.Gap = append(pv.Gap, f)
			}
		}
		if len(pv.Gap) == 0 {
			pv.Notes = append(pv.Notes, "No pruned − scratch plot: the study has no checkpoint after epoch 0 (the control is untrained there).")
		}
	}
	f, ok, err := v.overPlot(p, pv.ID+"-over")
	if err != nil {
		return pv, err
	}
	if ok {
		pv.Over = append(pv.Over, f)
	}
	pv.Tables = append(pv.Tables, v.summaryTable(p))
	if t, ok := v.comparisonTable(p); ok {
		pv.Tables = append(pv.Tables, t)
	}
	if t, ok := v.overlapTable(p); ok {
		pv.Tables = append(pv.Tables, t)
	}
	if t, ok := v.overTable(p); ok {
		pv.Tables = append(pv.Tables, t)
	}
	return pv, nil
}

// largeLine describes the large nets of p: their shape and mean R² over the
// seeds.
func (v *views) largeLine(p Problem) string {
	var val, del, gam []float64
	var hidden []int
	for _, l := range v.m.Larges {
		if l.Large.Problem == p {
			val, del, gam = append(val, float64(l.Scores.R2Value)), append(del, float64(l.Scores.R2Delta)), append(gam, float64(l.Scores.R2Gamma))
			hidden = l.Hidden
		}
	}
	return fmt.Sprintf("Large nets (hidden widths %s): mean R² over %d seeds value %s, delta %s, gamma %s.",
		joinInts(hidden), len(val), fmtR2(MeanCI(val, Level).Mean), fmtR2(MeanCI(del, Level).Mean), fmtR2(MeanCI(gam, Level).Mean))
}

// point is a plotted mean with the bounds of its interval, in plot
// coordinates; Lo and Hi are NaN where there is no interval.
type point struct{ X, Y, Lo, Hi float64 }

// errPoints are points with vertical error bars for plotter.NewYErrorBars.
type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

// addSeries adds to p a line through pts with their points and error bars,
// in colour k, dashed if dashed, named name in the legend. Points with a
// non-finite Y are left out.
func addSeries(p *plot.Plot, name string, k int, dashed bool, pts []point) error {
	var xy plotter.XYs
	var errs plotter.YErrors
	for _, pt := range pts {
		if !isFinite(pt.Y) {
			continue
		}
		xy = append(xy, plotter.XY{X: pt.X, Y: pt.Y})
		lo, hi := 0.0, 0.0
		if isFinite(pt.Lo) && isFinite(pt.Hi) {
			lo, hi = pt.Y-pt.Lo, pt.Hi-pt.Y
		}
		errs = append(errs, struct{ Low, High float64 }{lo, hi})
	}
	if len(xy) == 0 {
		return nil
	}
	l, s, err := plotter.NewLinePoints(xy)
	if err != nil {
		return err
	}
	col := report.Colour(k, 1)
	l.LineStyle = draw.LineStyle{Color: col, Width: 1.3}
	if dashed {
		l.LineStyle.Dashes = []vg.Length{4, 2.5}
	}
	s.GlyphStyle = draw.GlyphStyle{Color: col, Radius: 2.2, Shape: draw.CircleGlyph{}}
	eb, err := plotter.NewYErrorBars(errPoints{xy, errs})
	if err != nil {
		return err
	}
	eb.LineStyle = draw.LineStyle{Color: col, Width: 1}
	eb.CapWidth = 5
	p.Add(l, s, eb)
	p.Legend.Add(name, l, s)
	return nil
}

// isFinite reports whether x is neither NaN nor ±Inf.
func isFinite(x float64) bool { return x-x == 0 }

// logGap returns the plot point of an R² interval iv at x: log10(1 − R²) of
// the mean and of the interval's bounds (1 − Hi, 1 − Lo); a bound at or
// above R² = 1 is NaN until clipLow sets it.
func logGap(x float64, iv Interval) point {
	lg := func(r float64) float64 {
		if u := 1 - r; u > 0 && isFinite(u) {
			return math.Log10(u)
		}
		return math.NaN()
	}
	pt := point{X: x, Y: lg(iv.Mean), Lo: lg(iv.Hi), Hi: lg(iv.Lo)}
	if math.IsNaN(iv.Hi) { // no interval
		pt.Lo, pt.Hi = math.NaN(), math.NaN()
	}
	return pt
}

// clipLow sets the lower bars of pts that reach R² ≥ 1 (Lo NaN with an
// interval) to the bottom of the plot, which it fixes half a decade below the
// lowest finite figure; it reports whether it clipped any.
func clipLow(p *plot.Plot, series [][]point) bool {
	lowest := math.Inf(1)
	for _, pts := range series {
		for _, pt := range pts {
			for _, y := range []float64{pt.Y, pt.Lo} {
				if isFinite(y) {
					lowest = min(lowest, y)
				}
			}
		}
	}
	if math.IsInf(lowest, 1) {
		return false
	}
	bottom := lowest - 0.5
	clipped := false
	for _, pts := range series {
		for i := range pts {
			if isFinite(pts[i].Y) && math.IsNaN(pts[i].Lo) && isFinite(pts[i].Hi) {
				pts[i].Lo, clipped = bottom, true
			}
		}
	}
	if clipped {
		p.Y.Min = bottom
	}
	return clipped
}

// methodColour returns the colour index of method k of the study; the
// scratch control is drawn in black-ish grey (index 9 of the palette is
// grey).
func methodColour(meth string, k int) int {
	if meth == Scratch {
		return 9
	}
	return k
}

// sizePlot returns the plot of 1 − R² of q against the kept size at epoch,
// one series per method.
func (v *views) sizePlot(p Problem, q quantity, epoch int, id string) (svgFigure, error) {
	c := v.m.Config
	pl := report.NewPlot(fmt.Sprintf("R² %s after %d epochs", q.name, epoch), "hidden nodes kept (log scale)",
		fmt.Sprintf("1 − R² %s (log scale)", q.name))
	methods := c.Methods()
	var series [][]point
	for k, meth := range methods {
		var pts []point
		for _, size := range c.Sizes {
			// Methods side by side around each size, 3 % of an octave apart.
			x := math.Log2(float64(size)) + 0.03*(float64(k)-float64(len(methods)-1)/2)
			pts = append(pts, logGap(x, v.summary[Group{p, meth, size, epoch}][q.metric]))
		}
		series = append(series, pts)
	}
	clipped := clipLow(pl, series)
	for k, meth := range methods {
		if err := addSeries(pl, meth, methodColour(meth, k), meth == Scratch, series[k]); err != nil {
			return svgFigure{}, err
		}
	}
	ticks := make(plot.ConstantTicks, len(c.Sizes))
	for i, s := range c.Sizes {
		ticks[i] = plot.Tick{Value: math.Log2(float64(s)), Label: strconv.Itoa(s)}
	}
	pl.X.Tick.Marker = ticks
	pl.X.Min, pl.X.Max = pl.X.Min-0.25, pl.X.Max+0.25
	report.LogAxis(&pl.Y)
	caption := fmt.Sprintf("1 − R² of %s on the analytic test set after %d epochs of fine-tuning (lower is better; 1 − R² = 0.001 is R² = 0.999), mean over %d seeds with its 95 %% t interval, per method against the number of hidden nodes kept.",
		q.name, epoch, c.Seeds)
	if clipped {
		caption += " Bars that reach R² = 1 are cut at the bottom of the plot."
	}
	return v.figure(pl, id, caption)
}

// budgetPlot returns the plot of 1 − R² gamma against the fine-tuning epoch
// at one size, one series per method.
func (v *views) budgetPlot(p Problem, size int, id string) (svgFigure, error) {
	c := v.m.Config
	pl := report.NewPlot(fmt.Sprintf("R² gamma, %d nodes kept", size), "epochs of fine-tuning", "1 − R² gamma (log scale)")
	methods := c.Methods()
	var series [][]point
	span := float64(c.Checkpoints[len(c.Checkpoints)-1] - c.Checkpoints[0])
	for k, meth := range methods {
		var pts []point
		for _, e := range c.Checkpoints {
			x := float64(e) + 0.006*span*(float64(k)-float64(len(methods)-1)/2)
			pts = append(pts, logGap(x, v.summary[Group{p, meth, size, e}]["r2_gamma"]))
		}
		series = append(series, pts)
	}
	clipped := clipLow(pl, series)
	for k, meth := range methods {
		if err := addSeries(pl, meth, methodColour(meth, k), meth == Scratch, series[k]); err != nil {
			return svgFigure{}, err
		}
	}
	ticks := make(plot.ConstantTicks, len(c.Checkpoints))
	for i, e := range c.Checkpoints {
		ticks[i] = plot.Tick{Value: float64(e), Label: strconv.Itoa(e)}
	}
	pl.X.Tick.Marker = ticks
	padX(pl, span)
	report.LogAxis(&pl.Y)
	caption := fmt.Sprintf("1 − R² gamma against the fine-tuning budget with %d hidden nodes kept: mean over %d seeds and 95 %% t interval at each checkpoint of one fine-tuning run (epoch 0: the pruned net before fine-tuning, and the untrained control).",
		size, c.Seeds)
	if clipped {
		caption += " Bars that reach R² = 1 are cut at the bottom of the plot."
	}
	return v.figure(pl, id, caption)
}

// gapPlot returns the plot of the paired difference pruned − scratch of R²
// gamma against the fine-tuning epoch at one size, one series per
// criterion; epoch 0 is left out (the control is untrained there). ok is
// false if no checkpoint is after epoch 0.
func (v *views) gapPlot(p Problem, size int, id string) (f svgFigure, ok bool, err error) {
	c := v.m.Config
	var epochs []int
	for _, e := range c.Checkpoints {
		if e > 0 {
			epochs = append(epochs, e)
		}
	}
	if len(epochs) == 0 {
		return svgFigure{}, false, nil
	}
	pl := report.NewPlot(fmt.Sprintf("Pruned − scratch, %d nodes kept", size), "epochs of fine-tuning", "R² gamma: pruned − scratch")
	zero := plotter.NewFunction(func(float64) float64 { return 0 })
	zero.LineStyle = draw.LineStyle{Color: report.Colour(9, 1), Width: 1, Dashes: []vg.Length{3, 3}}
	pl.Add(zero)
	span := float64(epochs[len(epochs)-1] - epochs[0])
	for k, cr := range c.Criteria {
		meth := cr.String()
		var pts []point
		for _, e := range epochs {
			d := v.vs[compKey{p, size, e, meth, Scratch, "r2_gamma"}].Diff
			x := float64(e) + 0.006*span*(float64(k)-float64(len(c.Criteria)-1)/2)
			pts = append(pts, point{X: x, Y: d.Mean, Lo: d.Lo, Hi: d.Hi})
		}
		if err := addSeries(pl, meth, k, false, pts); err != nil {
			return svgFigure{}, false, err
		}
	}
	ticks := make(plot.ConstantTicks, len(epochs))
	for i, e := range epochs {
		ticks[i] = plot.Tick{Value: float64(e), Label: strconv.Itoa(e)}
	}
	pl.X.Tick.Marker = ticks
	padX(pl, span)
	f, err = v.figure(pl, id, fmt.Sprintf("Mean over %d seeds of the paired difference in R² gamma between the net pruned by each criterion and the control of the same size trained from scratch with the same loss and budget, with its 95 %% t interval; above zero the pruned net is better.", c.Seeds))
	return f, err == nil, err
}

// overPlot returns the over-estimation per layer of the criteria that
// measure it, or ok false if none does.
func (v *views) overPlot(p Problem, id string) (f svgFigure, ok bool, err error) {
	var methods []string
	rows := map[string][]OverEstimate{}
	for _, o := range v.a.Over {
		if o.Problem == p {
			if rows[o.Method] == nil {
				methods = append(methods, o.Method)
			}
			rows[o.Method] = append(rows[o.Method], o)
		}
	}
	if len(methods) == 0 {
		return svgFigure{}, false, nil
	}
	pl := report.NewPlot("Interval over-estimation per layer", "hidden layer", "enclosure width ÷ sampled range (log scale)")
	criteria := v.m.Config.Methods()
	var layers []int
	for _, o := range rows[methods[0]] {
		layers = append(layers, o.Layer)
	}
	for j, meth := range methods {
		k := slices.Index(criteria, meth)
		get := []struct {
			name   string
			f      func(OverEstimate) float64
			dashed bool
		}{
			{meth + ", values", func(o OverEstimate) float64 { return o.Value }, false},
			{meth + ", adjoints", func(o OverEstimate) float64 { return o.Adjoint }, true},
		}
		for _, g := range get {
			var pts []point
			for _, o := range rows[meth] {
				pts = append(pts, point{X: float64(o.Layer), Y: math.Log10(g.f(o)), Lo: math.NaN(), Hi: math.NaN()})
			}
			if err := addSeries(pl, g.name, k, g.dashed, pts); err != nil {
				return svgFigure{}, false, err
			}
		}
		// Plain intervals on the same boxes, measured by every IASA cell; the
		// values of iasa-plain are the same figures, so they stand for them.
		if j == 0 && !slices.Contains(methods, prune.ByIASAPlain.String()) {
			var pts []point
			for _, o := range rows[meth] {
				pts = append(pts, point{X: float64(o.Layer), Y: math.Log10(o.NaiveValue), Lo: math.NaN(), Hi: math.NaN()})
			}
			if err := addSeries(pl, "plain intervals, values", 9, true, pts); err != nil {
				return svgFigure{}, false, err
			}
		}
	}
	ticks := make(plot.ConstantTicks, len(layers))
	for i, l := range layers {
		ticks[i] = plot.Tick{Value: float64(l), Label: strconv.Itoa(l)}
	}
	pl.X.Tick.Marker = ticks
	pl.X.Min, pl.X.Max = pl.X.Min-0.3, pl.X.Max+0.3
	report.LogAxis(&pl.Y)
	f, err = v.figure(pl, id, "Over-estimation of the interval enclosures of each hidden layer's values and adjoints (enclosure width ÷ range sampled in the box, the median over the layer's nodes; 1 is exact), geometric mean over the criterion's cells, and that of plain intervals on the same boxes (the values of iasa-plain, where it is a criterion). The analysis runs on the large net, so it does not depend on the kept size.")
	return f, err == nil, err
}

// padX widens the x axis of pl by 4 % of the data's span either side (by 1
// if the span is 0), so that error bars stay clear of the axes.
func padX(pl *plot.Plot, span float64) {
	pad := 0.04 * span
	if span == 0 {
		pad = 1
	}
	pl.X.Min, pl.X.Max = pl.X.Min-pad, pl.X.Max+pad
}

// figure renders pl as an inline SVG figure.
func (v *views) figure(pl *plot.Plot, id, caption string) (svgFigure, error) {
	svg, err := report.SVG(pl, plotW, plotH, true)
	if err != nil {
		return svgFigure{}, fmt.Errorf("study report: plot %s: %w", id, err)
	}
	return svgFigure{ID: id, SVG: template.HTML(svg), Caption: caption}, nil
}

// summaryTable returns the mean R² per method and size at the final
// checkpoint (and R² gamma before fine-tuning).
func (v *views) summaryTable(p Problem) table {
	c := v.m.Config
	last := c.Checkpoints[len(c.Checkpoints)-1]
	t := table{
		Caption: fmt.Sprintf("R² after %d epochs of fine-tuning: mean ± half-width of the 95 %% t interval over %d seeds (all checkpoints and the RMSEs: summary.csv).", last, c.Seeds),
		Header:  []string{"size", "method", "R² value", "R² delta", "R² gamma"},
	}
	before := c.Checkpoints[0] == 0 && last > 0
	if before {
		t.Header = append(t.Header, "R² gamma before fine-tuning")
	}
	for _, size := range c.Sizes {
		for _, meth := range c.Methods() {
			row := []tcell{{Text: strconv.Itoa(size), Num: true}, {Text: meth}}
			s := v.summary[Group{p, meth, size, last}]
			for _, mt := range []string{"r2_value", "r2_delta", "r2_gamma"} {
				row = append(row, tcell{Text: fmtPM(s[mt]), Num: true})
			}
			if before {
				row = append(row, tcell{Text: fmtPM(v.summary[Group{p, meth, size, 0}]["r2_gamma"]), Num: true})
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

// comparisonTable returns the paired comparisons of R² gamma at the final
// checkpoint, and against random also before fine-tuning.
func (v *views) comparisonTable(p Problem) (table, bool) {
	c := v.m.Config
	last := c.Checkpoints[len(c.Checkpoints)-1]
	t := table{
		Caption: fmt.Sprintf("Paired comparisons of R² gamma over the %d seeds: method − baseline, mean with its 95 %% t interval, seeds won and lost, exact Wilcoxon signed-rank and sign test p-values (two-sided; bold below 0.05, not corrected for the number of tests). At the last checkpoint, and against random also before fine-tuning (R² of value and deltas, every checkpoint: comparisons.csv).", c.Seeds),
		Header:  []string{"size", "epoch", "method", "baseline", "mean difference [95 % interval]", "won–lost", "Wilcoxon p", "sign p"},
	}
	for _, r := range v.a.Comparisons {
		if r.Problem != p || r.Metric != "r2_gamma" || !(r.Epoch == last || r.Epoch == 0 && r.Baseline == prune.ByRandom.String()) {
			continue
		}
		t.Rows = append(t.Rows, []tcell{{Text: strconv.Itoa(r.Size), Num: true}, {Text: strconv.Itoa(r.Epoch), Num: true},
			{Text: r.Method}, {Text: r.Baseline},
			{Text: fmt.Sprintf("%s [%s, %s]", fmtSigned(r.Diff.Mean), fmtSigned(r.Diff.Lo), fmtSigned(r.Diff.Hi)), Num: true},
			{Text: fmt.Sprintf("%d–%d", r.Wins, r.Losses), Num: true},
			{Text: fmtP(r.Wilcoxon), Num: true, Strong: r.Wilcoxon < 0.05}, {Text: fmtP(r.Sign), Num: true, Strong: r.Sign < 0.05}})
	}
	return t, len(t.Rows) > 0
}

// overlapTable returns the Jaccard overlaps of p: a row per pair of
// criteria, a column per size.
func (v *views) overlapTable(p Problem) (table, bool) {
	c := v.m.Config
	t := table{
		Caption: fmt.Sprintf("Overlap of the kept sets of hidden nodes between criteria: Jaccard index |A ∩ B| / |A ∪ B| of the (layer, node) pairs kept from the same large net, mean ± half-width of the 95 %% t interval over %d seeds (1: the same nodes).", c.Seeds),
		Header:  []string{"criteria"},
	}
	for _, s := range c.Sizes {
		t.Header = append(t.Header, strconv.Itoa(s)+" kept")
	}
	rows := map[[2]string][]tcell{}
	var order [][2]string
	for _, o := range v.a.Overlaps {
		if o.Problem != p {
			continue
		}
		k := [2]string{o.A, o.B}
		if rows[k] == nil {
			order = append(order, k)
			rows[k] = []tcell{{Text: o.A + " · " + o.B}}
		}
		rows[k] = append(rows[k], tcell{Text: fmtJaccard(o.Jaccard), Num: true})
	}
	for _, k := range order {
		t.Rows = append(t.Rows, rows[k])
	}
	return t, len(t.Rows) > 0
}

// overTable returns the over-estimation figures of p per criterion and layer.
func (v *views) overTable(p Problem) (table, bool) {
	t := table{
		Caption: "Over-estimation of the enclosures per hidden layer (geometric mean over the cells; – where not defined: the adjoints of the last hidden layer are constant).",
		Header:  []string{"criterion", "layer", "values", "adjoints", "plain intervals, values", "cells"},
	}
	for _, o := range v.a.Over {
		if o.Problem == p {
			t.Rows = append(t.Rows, []tcell{{Text: o.Method}, {Text: strconv.Itoa(o.Layer), Num: true},
				{Text: fmtG(o.Value), Num: true}, {Text: fmtG(o.Adjoint), Num: true}, {Text: fmtG(o.NaiveValue), Num: true},
				{Text: strconv.Itoa(o.Cells), Num: true}})
		}
	}
	return t, len(t.Rows) > 0
}

// fmtR2 formats an R² with six decimals, "–" for NaN.
func fmtR2(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return strconv.FormatFloat(x, 'f', 6, 64)
}

// fmtPM formats an interval of an R² as "mean ± half-width".
func fmtPM(iv Interval) string {
	if math.IsNaN(iv.Lo) {
		return fmtR2(iv.Mean)
	}
	return fmtR2(iv.Mean) + " ± " + strconv.FormatFloat((iv.Hi-iv.Lo)/2, 'f', 6, 64)
}

// fmtJaccard formats an interval of a Jaccard index with two decimals.
func fmtJaccard(iv Interval) string {
	if math.IsNaN(iv.Mean) {
		return "–"
	}
	s := strconv.FormatFloat(iv.Mean, 'f', 2, 64)
	if !math.IsNaN(iv.Lo) {
		s += " ± " + strconv.FormatFloat((iv.Hi-iv.Lo)/2, 'f', 2, 64)
	}
	return s
}

// fmtG formats x to three significant digits, "–" for NaN.
func fmtG(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// fmtSigned formats a difference to three significant digits with its sign.
func fmtSigned(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	if x > 0 {
		return "+" + fmtG(x)
	}
	return fmtG(x)
}

// fmtP formats a p-value.
func fmtP(p float64) string {
	if math.IsNaN(p) {
		return "–"
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

// joinInts formats 0, 10, 40.
func joinInts(v []int) string {
	s := ""
	for i, x := range v {
		if i > 0 {
			s += ", "
		}
		s += strconv.Itoa(x)
	}
	return s
}

// orDash returns s, or "–" if s is empty.
func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// studyTemplate is report.html: polyglot markup (HTML5 that is also
// well-formed XML, the SVG plots inline), so that tests can check it with
// encoding/xml.
var studyTemplate = template.Must(template.New("report.html").Parse(`<!DOCTYPE html>
<html lang="en" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>{{.Title}}</title>
<style>
` + report.BaseCSS + `main { max-width: 1500px; }
h3 { margin: 18px 0 6px; }
.scroll { margin: 4px 0 14px; }
table { font-size: 13.5px; }
th, td { padding: 3px 9px; }
.strong { font-weight: 700; }
.groups { margin-bottom: 0; }
figure { width: 518px; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid #eceef1; }
</style>
</head>
<body>
<main>
<header>
<h1>{{.Title}}</h1>
<p class="sub">{{.Dir}}</p>
<p class="sub">{{.Summary}}</p>
<nav><a href="#configuration">Configuration</a>{{range .Problems}}<a href="#{{.ID}}">{{.Name}}</a>{{end}}</nav>
</header>

<section id="configuration">
<h2>Configuration and environment (study.json)</h2>
<div class="groups">
{{range .Config}}<div><h4>{{.Name}}</h4><table class="kv">{{range .Rows}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table></div>
{{end}}<div><h4>environment of the merge</h4><table class="kv">{{range .Environment}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table></div>
</div>
<p class="note">R² = 1 − Σ(pred − true)² / Σ(true − mean)² on the analytic test set of each problem and seed; deltas pooled over the assets, gamma = 1ᵀH1. Intervals are 95 % Student t intervals over the seeds; comparisons are paired by seed (the same large net, data and test set).</p>
</section>
{{range .Problems}}
<section id="{{.ID}}" class="problem">
<h2>{{.Name}}</h2>
<p class="note">{{.Large}}</p>
<h3>Accuracy against the kept size</h3>
<div class="figs">{{range .BySize}}{{template "figure" .}}{{end}}</div>
<h3>Accuracy against the fine-tuning budget</h3>
<div class="figs">{{range .ByBudget}}{{template "figure" .}}{{end}}</div>
{{if .Gap}}<h3>Pruned − scratch</h3>
<div class="figs">{{range .Gap}}{{template "figure" .}}{{end}}</div>
{{end}}{{if .Over}}<h3>IASA over-estimation</h3>
<div class="figs">{{range .Over}}{{template "figure" .}}{{end}}</div>
{{end}}{{range .Notes}}<p class="note">{{.}}</p>
{{end}}<h3>Tables</h3>
{{range .Tables}}<p class="note">{{.Caption}}</p>
<div class="scroll"><table>
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td{{if or .Num .Strong}} class="{{if .Num}}num{{end}}{{if .Strong}} strong{{end}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
{{end}}</section>
{{end}}
</main>
</body>
</html>
{{define "figure"}}<figure id="{{.ID}}">{{.SVG}}<figcaption>{{.Caption}}</figcaption></figure>{{end}}
`))
