package report

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/sobolev-pruning/sobolev/results"
)

// Plot geometry. A plot of w × h inches is shown at cssPerInch CSS pixels per
// inch, so its text has the point sizes below on screen, and rendered at twice
// that resolution so that it stays sharp on high-density displays.
const (
	cssPerInch = 96
	dpi        = 2 * cssPerInch

	smallW, smallH = 4.25, 3.2 // the three plots of a stage, side by side
	wideW, wideH   = 6.6, 4.0  // the plots of the training and IASA sections
)

// figure is a plot of the page, a PNG image embedded in it.
type figure struct {
	// ID names the plot: its element id in the page (see the plot names
	// below).
	ID string
	// Src is the attribute src="data:image/png;base64,…" of the image: an
	// attribute, not a URL, so that html/template writes the base64 text as
	// it is instead of escaping every "+" as "&#43;".
	Src template.HTMLAttr
	// Alt describes the plot for readers that cannot see it.
	Alt string
	// Caption is shown under the plot.
	Caption string
	// Width is the displayed width in CSS pixels.
	Width int
}

// colour returns the i-th colour, cycling, of the Tableau 10 palette, with
// opacity a ∈ [0, 1]. Stage i and hidden layer i+1 have colour i in every plot.
func colour(i int, a float64) color.NRGBA {
	palette := [...]color.NRGBA{
		{0x4e, 0x79, 0xa7, 0xff}, {0xf2, 0x8e, 0x2b, 0xff}, {0xe1, 0x57, 0x59, 0xff},
		{0x76, 0xb7, 0xb2, 0xff}, {0x59, 0xa1, 0x4f, 0xff}, {0xed, 0xc9, 0x48, 0xff},
		{0xb0, 0x7a, 0xa1, 0xff}, {0xff, 0x9d, 0xa7, 0xff}, {0x9c, 0x75, 0x5f, 0xff},
		{0xba, 0xb0, 0xac, 0xff},
	}
	c := palette[i%len(palette)]
	c.A = uint8(math.Round(255 * a))
	return c
}

// sans returns Liberation Sans of the given size in points.
func sans(size vg.Length, bold bool) font.Face {
	f := font.Font{Typeface: "Liberation", Variant: "Sans"}
	if bold {
		f.Weight = stdfont.WeightBold
	}
	return font.DefaultCache.Lookup(f, size)
}

// newPlot returns a plot with a title, axis labels, a light grid and the fonts
// of the report.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(11.5, true).Font
	p.Title.Padding = 6
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = sans(10.5, false).Font
		ax.Tick.Label.Font = sans(9.5, false).Font
		ax.Padding = 2
	}
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.TextStyle.Font = sans(9.5, false).Font
	p.Legend.Top = true
	p.Legend.Padding = 1
	p.Legend.ThumbnailWidth = 18
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{0xe4}
	grid.Horizontal.Color = color.Gray{0xe4}
	p.Add(grid)
	return p
}

// newFigure renders p as a w × h inch PNG and returns the figure named id
// that embeds it. If legendRight is set, p's legend is drawn in a strip right
// of the axes, so that it never hides data; else where p puts it.
func newFigure(p *plot.Plot, id string, w, h float64, legendRight bool, alt, caption string) (figure, error) {
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(w)*vg.Inch, vg.Length(h)*vg.Inch), vgimg.UseDPI(dpi))
	drawPlot(p, draw.New(c), legendRight)
	var img bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&img); err != nil {
		return figure{}, fmt.Errorf("report: plot %s: %w", id, err)
	}
	return figure{
		ID:      id,
		Src:     template.HTMLAttr(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(img.Bytes()) + `"`),
		Alt:     alt,
		Caption: caption,
		Width:   int(math.Round(w * cssPerInch)),
	}, nil
}

// drawPlot draws p on dc. If legendRight is set, p's legend is drawn in a
// strip right of the axes, so that it never hides data; else where p puts it.
func drawPlot(p *plot.Plot, dc draw.Canvas, legendRight bool) {
	if !legendRight {
		p.Draw(dc)
		return
	}
	leg := p.Legend
	leg.Top, leg.Left = true, true
	p.Legend = plot.NewLegend()
	const gap = 8 // points between the plot and the legend, and right of it
	strip := leg.Rectangle(dc).Size().X + 2*gap
	p.Draw(draw.Crop(dc, 0, -strip, 0, 0))
	top := p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y + p.Title.Padding
	leg.Draw(draw.Crop(dc, dc.Size().X-strip+gap, 0, 0, -top))
}

// Plot names: the figure ids of the page. Versions before the plots were
// embedded wrote each plot beside index.html as its name + ".png"; oldPlot
// recognises those files.
const (
	plotLoss         = "loss"
	plotSignificance = "significance"
	plotKept         = "kept"
	plotOver         = "overestimation"
)

// stagePlot returns the name of the plot of stage i (from 0) of the given
// kind: value, delta or gamma.
func stagePlot(i int, kind string) string { return fmt.Sprintf("stage%d-%s", i+1, kind) }

// oldPlot reports whether name is the name of a PNG file that an earlier
// version of Write put beside index.html: a plot name + ".png".
func oldPlot(name string) bool {
	base, ok := strings.CutSuffix(name, ".png")
	if !ok {
		return false
	}
	switch base {
	case plotLoss, plotSignificance, plotKept, plotOver:
		return true
	}
	rest, ok := strings.CutPrefix(base, "stage")
	if !ok {
		return false
	}
	num, kind, _ := strings.Cut(rest, "-")
	i, err := strconv.Atoi(num)
	if err != nil || i < 1 || strconv.Itoa(i) != num {
		return false
	}
	switch kind {
	case "value", "delta", "gamma":
		return true
	}
	return false
}

// finite reports whether v is neither NaN nor ±Inf.
func finite(v float64) bool { return v-v == 0 }

// logAxis makes ax, whose data are the base-10 logarithms of positive
// values, read as a log scale of the values: its ticks are logTicks of the
// values' range, placed at their logarithms. A range of one value is widened
// to a factor of 2 either side.
//
// The data are transformed rather than drawn with plot.LogScale because
// gonum/plot places the label of a log axis at the arithmetic midpoint of its
// range, which pads the plot with an empty band.
func logAxis(ax *plot.Axis) {
	if ax.Min == ax.Max {
		ax.Min, ax.Max = ax.Min-math.Log10(2), ax.Max+math.Log10(2)
	}
	ax.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		ticks := logTicks(math.Pow(10, lo), math.Pow(10, hi))
		for i := range ticks {
			ticks[i].Value = math.Log10(ticks[i].Value)
		}
		return ticks
	})
}

// logTicks returns ticks for a log axis over [lo, hi], 0 < lo ≤ hi: labelled
// powers of ten and unlabelled multiples 2…9 of them; over fewer than three
// decades the multiples 2 and 5 are labelled too.
func logTicks(lo, hi float64) []plot.Tick {
	e0, e1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	few := math.Log10(hi/lo) < 3
	var ticks []plot.Tick
	for e := e0; e <= e1; e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow10(e)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || few && (m == 2 || m == 5) {
				t.Label = logLabel(m, e)
			}
			ticks = append(ticks, t)
		}
	}
	labelled := 0
	for _, t := range ticks {
		if t.Label != "" {
			labelled++
		}
	}
	if labelled < 2 { // a range within one decade, e.g. [2.1, 4.3]
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	return ticks
}

// logLabel formats m·10^e, 1 ≤ m ≤ 9, in plain decimals for 10⁻³ ≤ m·10^e <
// 10⁵ and as "me±k" otherwise.
func logLabel(m, e int) string {
	if e >= -3 && e <= 4 {
		return strconv.FormatFloat(float64(m)*math.Pow10(e), 'f', max(0, -e), 64)
	}
	return fmt.Sprintf("%de%d", m, e)
}

// versus is a plot of one quantity against the basket (or another
// abscissa, xLabel): exact labels and a model's predictions.
type versus struct {
	title, xLabel, yLabel string
	b                     []float64 // abscissa of each point: the basket
	exact, pred           []float64 // exact may be nil if the test set lacks the labels
	colour                int
	stage                 string
	// scatter draws the exact labels as grey dots, not a line, for labels
	// that are not a function of the abscissa alone (Heston against S₀).
	scatter bool
}

// plot returns the plot and a note on the predictions it leaves out: those
// that are not finite or lie more than twice the exact labels' range beyond
// it, so that a diverged model does not flatten the exact curve.
func (v versus) plot() (*plot.Plot, string, error) {
	xLabel := v.xLabel
	if xLabel == "" {
		xLabel = "basket B = w·S (units of S)"
	}
	p := newPlot(v.title, xLabel, v.yLabel)
	p.Legend.Left = true

	lo, hi := math.Inf(1), math.Inf(-1)
	for _, y := range v.exact {
		lo, hi = min(lo, y), max(hi, y)
	}
	span := hi - lo
	if span == 0 {
		span = max(math.Abs(hi), 1)
	}
	pred := make(plotter.XYs, 0, len(v.pred))
	out := 0
	for i, y := range v.pred {
		if !finite(y) || v.exact != nil && (y < lo-2*span || y > hi+2*span) {
			out++
			continue
		}
		pred = append(pred, plotter.XY{X: v.b[i], Y: y})
	}
	if len(pred) > 0 {
		s, err := plotter.NewScatter(pred)
		if err != nil {
			return nil, "", err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: colour(v.colour, 0.55), Radius: 1.3, Shape: draw.CircleGlyph{}}
		p.Add(s)
		p.Legend.Add("predicted ("+v.stage+")", s)
	}
	if v.exact != nil && v.scatter {
		xy := make(plotter.XYs, len(v.b))
		for i := range xy {
			xy[i] = plotter.XY{X: v.b[i], Y: v.exact[i]}
		}
		s, err := plotter.NewScatter(xy)
		if err != nil {
			return nil, "", err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: color.Gray{Y: 0x60}, Radius: 0.9, Shape: draw.CircleGlyph{}}
		p.Add(s)
		p.Legend.Add("exact", s)
	} else if v.exact != nil {
		order := make([]int, len(v.b))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(v.b[i], v.b[j]) })
		xy := make(plotter.XYs, len(order))
		for k, i := range order {
			xy[k] = plotter.XY{X: v.b[i], Y: v.exact[i]}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, "", err
		}
		l.LineStyle = draw.LineStyle{Color: color.Black, Width: 1.1}
		p.Add(l)
		p.Legend.Add("exact", l)
	}
	// Headroom above the data, where the legend goes.
	p.Y.Max += 0.22 * (p.Y.Max - p.Y.Min)
	note := ""
	if out > 0 {
		note = fmt.Sprintf("%d of %d predictions are not shown: they are not finite or lie further from the exact range than twice its width.", out, len(v.pred))
	}
	return p, note, nil
}

// lossPlot returns the training curves of the stages that have one, or nil if
// none has.
func lossPlot(stages []results.Stage) (*plot.Plot, error) {
	p := newPlot("Training loss", "epoch", "loss (log scale)")
	drawn := false
	for i, st := range stages {
		var loss, val plotter.XYs
		for _, e := range st.History {
			if finite(e.Loss) && e.Loss > 0 {
				loss = append(loss, plotter.XY{X: float64(e.Epoch), Y: math.Log10(e.Loss)})
			}
			if v := float64(e.Validation); finite(v) && v > 0 {
				val = append(val, plotter.XY{X: float64(e.Epoch), Y: math.Log10(v)})
			}
		}
		if len(loss) > 0 {
			l, err := plotter.NewLine(loss)
			if err != nil {
				return nil, err
			}
			l.LineStyle = draw.LineStyle{Color: colour(i, 1), Width: 1.4}
			p.Add(l)
			p.Legend.Add(st.Stage, l)
			drawn = true
		}
		if len(val) > 0 {
			l, err := plotter.NewLine(val)
			if err != nil {
				return nil, err
			}
			l.LineStyle = draw.LineStyle{Color: colour(i, 1), Width: 1.2, Dashes: []vg.Length{4, 2.5}}
			p.Add(l)
			p.Legend.Add(st.Stage+" (validation)", l)
			drawn = true
		}
	}
	if !drawn {
		return nil, nil
	}
	logAxis(&p.Y)
	return p, nil
}

// significancePlot returns the significances of each layer's nodes in
// decreasing order, on a log scale, with the kept nodes marked, and the number
// of nodes left out because their significance is not positive.
func significancePlot(layers []results.LayerPrune) (*plot.Plot, int, error) {
	p := newPlot("IASA significance per layer", "rank of the node in its layer (most significant first)",
		"significance S (log scale)")
	dropped, drawn := 0, false
	var keptAll plotter.XYs
	for li, lp := range layers {
		kept := make(map[int]bool, len(lp.Kept))
		for _, k := range lp.Kept {
			kept[k] = true
		}
		order := make([]int, len(lp.Significance))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(lp.Significance[j], lp.Significance[i]) })
		var all, keep plotter.XYs
		for r, i := range order {
			s := lp.Significance[i]
			if !finite(s) || s <= 0 {
				dropped++
				continue
			}
			pt := plotter.XY{X: float64(r + 1), Y: math.Log10(s)}
			all = append(all, pt)
			if kept[i] {
				keep = append(keep, pt)
			}
		}
		if len(all) == 0 {
			continue
		}
		drawn = true
		l, err := plotter.NewLine(all)
		if err != nil {
			return nil, 0, err
		}
		l.LineStyle = draw.LineStyle{Color: colour(li, 1), Width: 1.3}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("layer %d: %d of %d kept", lp.Layer, len(lp.Kept), lp.Width), l)
		if len(keep) > 0 {
			s, err := plotter.NewScatter(keep)
			if err != nil {
				return nil, 0, err
			}
			s.GlyphStyle = draw.GlyphStyle{Color: colour(li, 1), Radius: 2.2, Shape: draw.CircleGlyph{}}
			p.Add(s)
			keptAll = append(keptAll, keep...)
		}
	}
	if !drawn {
		return nil, dropped, nil
	}
	if len(keptAll) > 0 {
		s, err := plotter.NewScatter(keptAll[:1])
		if err != nil {
			return nil, 0, err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: color.Gray{0x50}, Radius: 2.2, Shape: draw.CircleGlyph{}}
		p.Legend.Add("kept node", s) // legend entry only, not added to the plot
	}
	logAxis(&p.Y)
	return p, dropped, nil
}

// keptPlot returns a bar chart of the width and the kept nodes of each layer.
func keptPlot(layers []results.LayerPrune) (*plot.Plot, error) {
	p := newPlot("Hidden nodes per layer", "hidden layer", "nodes")
	width := make(plotter.Values, len(layers))
	kept := make(plotter.Values, len(layers))
	names := make([]string, len(layers))
	for i, lp := range layers {
		width[i], kept[i] = float64(lp.Width), float64(len(lp.Kept))
		names[i] = strconv.Itoa(lp.Layer)
	}
	// Two bars side by side fill 70% of each layer's slot.
	bw := min(36, 0.35*(wideW-1)*vg.Inch/vg.Length(len(layers)))
	wb, err := plotter.NewBarChart(width, bw)
	if err != nil {
		return nil, err
	}
	wb.Color, wb.LineStyle.Width, wb.Offset = color.Gray{0xc8}, 0, -bw/2
	kb, err := plotter.NewBarChart(kept, bw)
	if err != nil {
		return nil, err
	}
	kb.Color, kb.LineStyle.Width, kb.Offset = colour(0, 1), 0, bw/2
	counts := plotter.XYLabels{XYs: make(plotter.XYs, len(layers)), Labels: make([]string, len(layers))}
	for i := range layers {
		counts.XYs[i] = plotter.XY{X: float64(i), Y: kept[i]}
		counts.Labels[i] = strconv.Itoa(int(kept[i]))
	}
	labels, err := plotter.NewLabels(counts)
	if err != nil {
		return nil, err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].Font = sans(9.5, false).Font
		labels.TextStyle[i].XAlign = draw.XCenter
	}
	labels.Offset = vg.Point{X: bw / 2, Y: 3}
	p.Add(wb, kb, labels)
	p.Legend.Add("width before pruning", wb)
	p.Legend.Add("kept", kb)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(layers))-0.5
	p.Y.Min = 0
	p.Y.Max *= 1.25 // room for the legend
	p.Y.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		ticks := plot.DefaultTicks{}.Ticks(lo, hi)
		for i, t := range ticks {
			if t.Label != "" {
				ticks[i].Label = strconv.FormatFloat(t.Value, 'g', -1, 64)
			}
		}
		return ticks
	})
	return p, nil
}

// overPlot returns the over-estimation of the enclosures per layer on a log
// scale, or nil if no layer has a positive figure.
func overPlot(layers []results.LayerPrune, method string) (*plot.Plot, error) {
	p := newPlot("Interval over-estimation per layer", "hidden layer",
		"enclosure width ÷ sampled range (log scale)")
	series := []struct {
		name   string
		get    func(results.LayerPrune) float64
		colour int
		dashed bool
	}{
		{method + " enclosure, values", func(l results.LayerPrune) float64 { return float64(l.OverValue) }, 0, false},
		{method + " enclosure, adjoints", func(l results.LayerPrune) float64 { return float64(l.OverAdjoint) }, 1, false},
		{"naive intervals, values", func(l results.LayerPrune) float64 { return float64(l.NaiveOverValue) }, 2, true},
	}
	drawn := false
	for _, s := range series {
		var xy plotter.XYs
		for _, l := range layers {
			if v := s.get(l); finite(v) && v > 0 {
				xy = append(xy, plotter.XY{X: float64(l.Layer), Y: math.Log10(v)})
			}
		}
		if len(xy) == 0 {
			continue
		}
		drawn = true
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return nil, err
		}
		l.LineStyle = draw.LineStyle{Color: colour(s.colour, 1), Width: 1.4}
		if s.dashed {
			l.LineStyle.Dashes = []vg.Length{4, 2.5}
		}
		pts.GlyphStyle = draw.GlyphStyle{Color: colour(s.colour, 1), Radius: 2.2, Shape: draw.CircleGlyph{}}
		p.Add(l, pts)
		p.Legend.Add(s.name, l, pts)
	}
	if !drawn {
		return nil, nil
	}
	p.Legend.Left = true
	ticks := make(plot.ConstantTicks, len(layers))
	for i, l := range layers {
		ticks[i] = plot.Tick{Value: float64(l.Layer), Label: strconv.Itoa(l.Layer)}
	}
	p.X.Tick.Marker = ticks
	p.X.Min, p.X.Max = p.X.Min-0.3, p.X.Max+0.3
	logAxis(&p.Y)
	// Headroom above the data, where the legend goes (the adjoints' figure
	// of layer 1 is often the largest).
	p.Y.Max += 0.25 * (p.Y.Max - p.Y.Min)
	return p, nil
}
