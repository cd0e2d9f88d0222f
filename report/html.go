package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sobolev-pruning/sobolev/heston"
	"github.com/sobolev-pruning/sobolev/results"
)

// page is the content of index.html.
type page struct {
	Title, Dir string
	// Summary is one line on the run: time, backend, test set.
	Summary string
	Model   []keyValue
	Config  []group
	// Header and Rows are the results table.
	Header []cell
	Rows   [][]cell
	// PlotsHeading and PlotsNote head the plots of the stages.
	PlotsHeading, PlotsNote string
	Stages                  []stageView
	// Training is the plot of the loss curves, nil if no stage has one.
	Training *figure
	IASA     *iasaView
	// Certificates is the table of shape certificates, nil if no stage
	// has one.
	Certificates *certView
}

// keyValue is one row of a two-column table.
type keyValue struct{ Key, Value string }

// group is a titled two-column table.
type group struct {
	Name string
	Rows []keyValue
}

// cell is a table cell. Title, if set, is shown on hover (all digits of a
// rounded number); Num right-aligns it, Best highlights it.
type cell struct {
	Text, Title string
	Num, Best   bool
}

// stageView is the section of one stage.
type stageView struct {
	ID, Name, Summary string
	Figures           []figure
	Notes             []string
}

// iasaView is the pruning section.
type iasaView struct {
	Summary []keyValue
	Header  []cell
	Layers  [][]cell
	Figures []figure
	Notes   []string
}

// fmtR2 formats an R²: six decimals, four significant digits for |x| ≥ 10,
// and "–" for NaN.
func fmtR2(x float64) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case math.Abs(x) < 10:
		return strconv.FormatFloat(x, 'f', 6, 64)
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// fmtG formats x to three significant digits, "–" for NaN.
func fmtG(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// fmtSeconds formats a duration in seconds.
func fmtSeconds(s float64) string {
	switch {
	case math.IsNaN(s):
		return "–"
	case s < 10:
		return strconv.FormatFloat(s, 'f', 2, 64)
	case s < 3600:
		return strconv.FormatFloat(s, 'f', 1, 64)
	}
	return fmt.Sprintf("%.0f (%dh %02dm)", s, int(s)/3600, int(s)%3600/60)
}

// fmtInt formats n with thousands separators: 83,713.
func fmtInt(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fmtWidths formats layer widths: "6 × 128" if there are at least two and all
// are equal, else "64, 32, 16".
func fmtWidths(w []int) string {
	if len(w) == 0 {
		return "–"
	}
	equal := true
	for _, v := range w {
		equal = equal && v == w[0]
	}
	if equal && len(w) > 1 {
		return fmt.Sprintf("%d × %d", len(w), w[0])
	}
	s := make([]string, len(w))
	for i, v := range w {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ", ")
}

// resultsTable returns the header and rows of the results table, the best
// finite R² of each column marked. If inputs names the inputs (a Heston
// run), a column of the R² of each input's delta follows the pooled one.
func resultsTable(stages []results.Stage, inputs []string) ([]cell, [][]cell) {
	header := []cell{{Text: "stage"}, {Text: "hidden layers"}, {Text: "hidden nodes", Num: true},
		{Text: "parameters", Num: true}, {Text: "R² value", Num: true}, {Text: "R² delta", Num: true}}
	for _, name := range inputs {
		header = append(header, cell{Text: "R² ∂" + name, Num: true})
	}
	header = append(header, cell{Text: "R² gamma", Num: true}, cell{Text: "RMSE value", Num: true}, cell{Text: "RMSE delta", Num: true},
		cell{Text: "RMSE gamma", Num: true}, cell{Text: "seconds", Num: true})
	r2 := func(st results.Stage) []float64 {
		v := []float64{float64(st.R2Value), float64(st.R2Delta)}
		for j := range inputs {
			d := math.NaN()
			if j < len(st.Deltas) {
				d = float64(st.Deltas[j].R2)
			}
			v = append(v, d)
		}
		return append(v, float64(st.R2Gamma))
	}
	best := make([]float64, 3+len(inputs))
	for j := range best {
		best[j] = math.Inf(-1)
	}
	for _, st := range stages {
		for j, v := range r2(st) {
			if finite(v) {
				best[j] = max(best[j], v)
			}
		}
	}
	rows := make([][]cell, len(stages))
	for i, st := range stages {
		row := []cell{{Text: st.Stage}, {Text: fmtWidths(st.Hidden)},
			{Text: fmtInt(st.HiddenNodes), Num: true}, {Text: fmtInt(st.Parameters), Num: true}}
		for j, v := range r2(st) {
			row = append(row, cell{Text: fmtR2(v), Title: strconv.FormatFloat(v, 'g', -1, 64), Num: true, Best: v == best[j]})
		}
		for _, v := range []results.Metric{st.RMSEValue, st.RMSEDelta, st.RMSEGamma} {
			row = append(row, cell{Text: fmtG(float64(v)), Title: strconv.FormatFloat(float64(v), 'g', -1, 64), Num: true})
		}
		row = append(row, cell{Text: fmtSeconds(st.Seconds), Num: true})
		rows[i] = row
	}
	return header, rows
}

// configGroups returns the configuration raw, the JSON object of
// results.Run.Config, as tables in the order of its keys: one for the
// top-level settings that are not objects, named "run", then one per object
// (large, prune, finetune, …) with its settings, nested objects flattened to
// dotted keys. A missing configuration (empty or null) gives no tables.
func configGroups(raw json.RawMessage) ([]group, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	keys, vals, err := objectFields(raw)
	if err != nil {
		return nil, err
	}
	top := group{Name: "run"}
	var groups []group
	for i, k := range keys {
		if _, _, err := objectFields(vals[i]); err == nil {
			g := group{Name: k}
			if err := flatten(&g, "", vals[i]); err != nil {
				return nil, err
			}
			groups = append(groups, g)
			continue
		}
		top.Rows = append(top.Rows, keyValue{k, jsonText(vals[i])})
	}
	return append([]group{top}, groups...), nil
}

// flatten appends the fields of the JSON object raw to g, their keys prefixed.
func flatten(g *group, prefix string, raw json.RawMessage) error {
	keys, vals, err := objectFields(raw)
	if err != nil {
		return err
	}
	for i, k := range keys {
		if _, _, err := objectFields(vals[i]); err == nil {
			if err := flatten(g, prefix+k+".", vals[i]); err != nil {
				return err
			}
			continue
		}
		g.Rows = append(g.Rows, keyValue{prefix + k, jsonText(vals[i])})
	}
	return nil
}

// objectFields returns the keys and values of the JSON object raw in order,
// or an error if raw is not an object.
func objectFields(raw json.RawMessage) ([]string, []json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, nil, fmt.Errorf("not a JSON object: %.40s", raw)
	}
	var keys []string
	var vals []json.RawMessage
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		keys, vals = append(keys, t.(string)), append(vals, v)
	}
	return keys, vals, nil
}

// jsonText formats a JSON scalar or array for a table: strings unquoted,
// arrays of integers as fmtWidths does, null as "–".
func jsonText(raw json.RawMessage) string {
	var ints []int
	if err := json.Unmarshal(raw, &ints); err == nil && ints != nil {
		return fmtWidths(ints)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return string(raw)
	}
	switch v := v.(type) {
	case nil:
		return "–"
	case string:
		return v
	}
	return string(raw)
}

// modelRows describes the test model of spec.json.
func modelRows(r *run) []keyValue {
	if h := r.heston; h != nil {
		box := make([]string, len(h.Inputs))
		for j, name := range h.Inputs {
			box[j] = fmt.Sprintf("%s ∈ [%s, %s]", name, fmtG(h.Box[j][0]), fmtG(h.Box[j][1]))
		}
		feller := "holds (2κθ ≥ ξ²)"
		if !h.Feller {
			feller = "fails (2κθ < ξ²): pathwise labels in v0 and maturity are heavy-tailed, mixing labels are not"
		}
		return []keyValue{
			{"pricer", "Heston call, zero rate (package heston)"},
			{"κ, θ, ξ, ρ", fmt.Sprintf("%s, %s, %s, %s", fmtG(h.Kappa), fmtG(h.Theta), fmtG(h.Xi), fmtG(h.Rho))},
			{"Feller condition", feller},
			{"test box", strings.Join(box, ", ")},
			{"training labels", hestonLabels(h)},
			{"gamma", "∂²V/∂S₀² (direction " + fmtFloats(h.GammaDirection) + ")"},
			{"seed", strconv.FormatUint(h.Seed, 10)},
			{"test points", fmt.Sprintf("%s semi-analytic (Lewis' Fourier integral), uniform in the box; plots use %s of them", fmtInt(r.testRows), fmtInt(r.test.N()))},
		}
	}
	m := r.model
	w := make([]string, len(m.Weights))
	for i, v := range m.Weights {
		w[i] = strconv.FormatFloat(v, 'f', 4, 64)
	}
	lo, hi := m.TestBox()
	return []keyValue{
		{"pricer", "Bachelier basket call (method.md §2)"},
		{"assets n", strconv.Itoa(m.Dims())},
		{"basket weights w", strings.Join(w, ", ")},
		{"strike K", fmtG(m.Strike)},
		{"basket volatility", fmtG(m.Vol)},
		{"T1, T2", fmtG(m.T1) + ", " + fmtG(m.T2)},
		{"seed", strconv.FormatUint(m.Seed, 10)},
		{"test points", fmt.Sprintf("%s uniform in [%.4f, %.4f]ⁿ; plots use %s of them", fmtInt(r.testRows), lo, hi, fmtInt(r.test.N()))},
	}
}

// fmtFloats formats v as "(a, b, …)" with fmtG.
func fmtFloats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmtG(x)
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// iasaTables returns the summary and per-layer rows of the pruning section.
func iasaTables(p *results.PruneReport) ([]keyValue, []cell, [][]cell) {
	kept, width := 0, 0
	for _, l := range p.Layers {
		kept, width = kept+len(l.Kept), width+l.Width
	}
	summary := []keyValue{
		{"criterion", p.Criterion},
		{"enclosure", p.Method},
		{"boxes", fmtInt(p.Boxes)},
		{"fold of removed nodes", p.Fold},
		{"nodes kept", fmt.Sprintf("%s of %s", fmtInt(kept), fmtInt(width))},
		{"seconds", fmtSeconds(p.Seconds)},
	}
	summary = slices.DeleteFunc(summary, func(kv keyValue) bool { return kv.Value == "" }) // no criterion before it was recorded, no enclosure without IASA
	header := []cell{{Text: "layer", Num: true}, {Text: "width", Num: true}, {Text: "kept", Num: true},
		{Text: "smallest kept S", Num: true}, {Text: "largest removed S", Num: true},
		{Text: "over-estimation, values", Num: true}, {Text: "over-estimation, adjoints", Num: true},
		{Text: "naive over-estimation, values", Num: true}}
	rows := make([][]cell, len(p.Layers))
	for i, l := range p.Layers {
		isKept := make(map[int]bool, len(l.Kept))
		for _, k := range l.Kept {
			isKept[k] = true
		}
		minKept, maxRemoved := math.NaN(), math.NaN()
		for j, s := range l.Significance {
			if isKept[j] {
				if !(s >= minKept) {
					minKept = s
				}
			} else if !(s <= maxRemoved) {
				maxRemoved = s
			}
		}
		num := func(s string) cell { return cell{Text: s, Num: true} }
		rows[i] = []cell{num(strconv.Itoa(l.Layer)), num(strconv.Itoa(l.Width)), num(strconv.Itoa(len(l.Kept))),
			num(fmtG(minKept)), num(fmtG(maxRemoved)), num(fmtG(float64(l.OverValue))), num(fmtG(float64(l.OverAdjoint))), num(fmtG(float64(l.NaiveOverValue)))}
	}
	return summary, header, rows
}

// displayDir returns a name for the output directory out: its absolute path if
// it can be found, else out itself.
func displayDir(out string) string {
	if abs, err := filepath.Abs(out); err == nil {
		return abs
	}
	return out
}

// BaseCSS is the style sheet the HTML pages of sobolev share (the run report
// here, the study report of package study), which add their own rules after
// it.
const BaseCSS = `body { margin: 0; background: #f5f6f8; color: #1f2328;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; }
main { max-width: 1400px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 25px; margin: 0 0 2px; }
h2 { font-size: 19px; margin: 0 0 10px; }
h3 { font-size: 16px; margin: 20px 0 4px; }
h4 { font-size: 14px; margin: 0 0 4px; color: #4a5561; }
.sub, .note, figcaption { color: #57606a; }
.sub { margin: 0 0 10px; word-break: break-all; }
.note { font-size: 13.5px; margin: 8px 0 0; }
nav { margin: 6px 0 0; }
nav a { margin-right: 16px; color: #0b5cad; text-decoration: none; }
nav a:hover { text-decoration: underline; }
section { background: #fff; border: 1px solid #dfe2e6; border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e8eaed; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #c9ced4; white-space: nowrap; }
.num { text-align: right; white-space: nowrap; }
.kv th { font-weight: 600; color: #4a5561; white-space: nowrap; }
.kv td, .kv th { padding: 2px 14px 2px 0; border: 0; }
.groups { display: flex; flex-wrap: wrap; gap: 14px 56px; align-items: flex-start; margin-bottom: 14px; }
.figs { display: flex; flex-wrap: wrap; gap: 12px 16px; }
figure { margin: 0; }
figcaption { font-size: 13px; margin-top: 4px; }
`

// pageTemplate is index.html. It is polyglot markup, HTML5 that is also
// well-formed XML (void elements closed with "/>"), so that tests can check it
// with encoding/xml.
var pageTemplate = template.Must(template.New("index.html").Parse(`<!DOCTYPE html>
<html lang="en" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>{{.Title}}</title>
<style>
` + BaseCSS + `td.best { font-weight: 700; background: #dcf2d8; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #eceef1; }
</style>
</head>
<body>
<main>
<header>
<h1>{{.Title}}</h1>
<p class="sub">{{.Dir}}</p>
<p class="sub">{{.Summary}}</p>
<nav><a href="#results">Results</a><a href="#configuration">Configuration</a><a href="#stages">Stages</a>{{if .Training}}<a href="#training">Training</a>{{end}}{{if .IASA}}<a href="#iasa">IASA pruning</a>{{end}}{{if .Certificates}}<a href="#certificates">Shape certificates</a>{{end}}</nav>
</header>

<section id="results">
<h2>Results on the test set</h2>
<div class="scroll"><table>
<thead><tr>{{range .Header}}<th{{if .Num}} class="num"{{end}}>{{.Text}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td{{if or .Num .Best}} class="{{if .Num}}num{{end}}{{if .Best}} best{{end}}"{{end}}{{if .Title}} title="{{.Title}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
<p class="note">R² = 1 − Σ(pred − true)² / Σ(true − mean)² over all entries (method.md §6): the deltas of all assets are pooled, and gamma is 1ᵀH1, the sum of the Hessian's entries. Highlighted: the best R² of each column. Hover over a number to see all its digits. Seconds are the time a stage took to train or prune, without evaluation.</p>
</section>

<section id="configuration">
<h2>Configuration</h2>
<div class="groups">
<div><h4>test model (data/spec.json)</h4><table class="kv">{{range .Model}}<tr><th>{{.Key}}</th><td>{{.Value}}</td></tr>{{end}}</table></div>
</div>
<div class="groups">
{{range .Config}}<div><h4>{{.Name}}</h4><table class="kv">{{range .Rows}}<tr><th>{{.Key}}</th><td>{{.Value}}</td></tr>{{end}}</table></div>
{{end}}</div>
</section>

<section id="stages">
<h2>{{.PlotsHeading}}</h2>
<p class="note">{{.PlotsNote}}</p>
{{range .Stages}}<h3 id="{{.ID}}">{{.Name}}</h3>
<p class="note">{{.Summary}}</p>
<div class="figs">{{range .Figures}}{{template "figure" .}}{{end}}</div>
{{range .Notes}}<p class="note">{{.}}</p>{{end}}
{{end}}</section>
{{with .Training}}
<section id="training">
<h2>Training</h2>
<div class="figs">{{template "figure" .}}</div>
</section>
{{end}}{{with .IASA}}
<section id="iasa">
<h2>IASA pruning</h2>
<div class="groups">
<table class="kv">{{range .Summary}}<tr><th>{{.Key}}</th><td>{{.Value}}</td></tr>{{end}}</table>
<div class="scroll"><table>
<thead><tr>{{range .Header}}<th class="num">{{.Text}}</th>{{end}}</tr></thead>
<tbody>
{{range .Layers}}<tr>{{range .}}<td class="num">{{.Text}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
</div>
<p class="note">S = width(A)·max|G| is a node's significance (method.md §5): how far its output can move over the domain times how strongly the net's output can react to it. Over-estimation is the median over a layer's nodes of the enclosure's width divided by the range sampled over the training points; 1 is exact.</p>
<div class="figs">{{range .Figures}}{{template "figure" .}}{{end}}</div>
{{range .Notes}}<p class="note">{{.}}</p>{{end}}
</section>
{{end}}{{with .Certificates}}
<section id="certificates">
<h2>Shape certificates</h2>
<div class="scroll"><table>
<thead><tr>{{range .Header}}<th{{if .Num}} class="num"{{end}}>{{.Text}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td{{if .Num}} class="num"{{end}}{{if .Title}} title="{{.Title}}"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody>
</table></div>
<p class="note">A call's price increases with the spot and is convex in it; a surrogate whose delta or gamma is negative somewhere quotes prices there that admit arbitrage. Each model was checked for {{.Checks}} over the whole test box: the box is bisected until each piece is proved (certified enclosures of the deltas and gamma in interval arithmetic with outward rounding: no such arbitrage anywhere in it), or refuted (the model violates the condition at a point of the piece, checked in float64: its midpoint or, at the depth limit, one of the probes, random points: the surrogate produces arbitrage there), or left undecided after depth halvings (nothing is known). The columns are fractions of the box's volume; counterexamples is the number of refuted pieces. Undecided pieces shrink with depth (certify.depth in the configuration), at up to twice the cost per level; over a wide box of many inputs the enclosures of a deep net are too wide to prove much, and the refuted fraction is the informative one.</p>
</section>
{{end}}
</main>
</body>
</html>
{{define "figure"}}<figure id="{{.ID}}" style="width: {{.Width}}px"><img {{.Src}} width="{{.Width}}" alt="{{.Alt}}" /><figcaption>{{.Caption}}</figcaption></figure>{{end}}
`))

// hestonLabels describes the training labels of a Heston data set: the
// smoothing only where it applies (pathwise labels), the paths per sample
// only where there are several.
func hestonLabels(h *heston.Spec) string {
	s := fmt.Sprintf("%s labels: %s, %d steps", h.Labels, h.Scheme, h.Steps)
	if h.Labels == heston.Pathwise {
		s += ", smoothing " + fmtG(h.Smoothing)
	}
	s += fmt.Sprintf(", widening %s, antithetic %t", fmtG(h.Widening), h.Antithetic)
	if h.Paths > 1 {
		s += fmt.Sprintf(", labels averaged over %d paths per sample", h.Paths)
	}
	return s
}
