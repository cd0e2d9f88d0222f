package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/results"
)

func TestWrite(t *testing.T) {
	out := t.TempDir()
	res := writeRun(t, out, fixture{testRows: MaxPoints + 500, iasa: true, history: true})
	if err := Write(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	page := checkPage(t, out)
	checkOnlyIndex(t, out)

	checkResultsTable(t, page, res)
	for i, st := range res.Stages {
		h := page.byID(fmt.Sprintf("stage%d", i+1))
		if h == nil || h.text != st.Stage {
			t.Errorf("no heading for stage %q", st.Stage)
		}
	}
	checkFigures(t, page, res)
	checkIASATable(t, page, res)
	if text := page.allText(); !strings.Contains(text, "gonum (pure Go)") || !strings.Contains(text, "basket weights") {
		t.Error("the page does not name the backend or the basket weights")
	}
	if text := page.allText(); strings.Contains(text, "NaN") {
		t.Error("the page shows NaN")
	}
}

// r2Column is the column of R² value in the results table; R² delta and
// gamma follow.
const r2Column = 4

// checkResultsTable checks the results table of page against res: one row
// per stage with its name, hidden nodes, parameters and R² (in full in the
// title, to six decimals in the text), and the best R² of each column
// highlighted.
func checkResultsTable(t *testing.T, page *node, res *results.Run) {
	t.Helper()
	rows := resultsRows(t, page)
	if len(rows) != len(res.Stages) {
		t.Fatalf("results table has %d rows, want one per stage (%d)", len(rows), len(res.Stages))
	}
	for i, st := range res.Stages {
		row := rows[i]
		if len(row) != 11 {
			t.Fatalf("row %d has %d cells, want 11", i, len(row))
		}
		if row[0].text != st.Stage {
			t.Errorf("row %d is stage %q, want %q", i, row[0].text, st.Stage)
		}
		if got := strings.ReplaceAll(row[3].text, ",", ""); got != strconv.Itoa(st.Parameters) {
			t.Errorf("stage %q: parameters %q, want %d", st.Stage, row[3].text, st.Parameters)
		}
		if got := strings.ReplaceAll(row[2].text, ",", ""); got != strconv.Itoa(st.HiddenNodes) {
			t.Errorf("stage %q: hidden nodes %q, want %d", st.Stage, row[2].text, st.HiddenNodes)
		}
		for j, want := range []results.Metric{st.R2Value, st.R2Delta, st.R2Gamma} {
			c := row[r2Column+j]
			full, err1 := strconv.ParseFloat(c.attr["title"], 64)
			shown, err2 := strconv.ParseFloat(c.text, 64)
			if err1 != nil || err2 != nil || full != float64(want) {
				t.Errorf("stage %q: R² cell %q (title %q), want %v", st.Stage, c.text, c.attr["title"], want)
				continue
			}
			_, decimals, _ := strings.Cut(c.text, ".")
			if math.Abs(full) < 10 && (math.Abs(shown-full) > 5e-7 || len(decimals) != 6) {
				t.Errorf("stage %q: R² %v shown as %q, want six decimals", st.Stage, full, c.text)
			}
		}
	}
	checkBestMarked(t, rows, res)
}

// checkBestMarked checks that in each R² column of the results table rows
// exactly the cells of the best value are highlighted.
func checkBestMarked(t *testing.T, rows [][]*node, res *results.Run) {
	t.Helper()
	for j := range 3 {
		best := math.Inf(-1)
		for _, row := range rows {
			v, _ := strconv.ParseFloat(row[r2Column+j].attr["title"], 64)
			best = max(best, v)
		}
		for i, row := range rows {
			v, _ := strconv.ParseFloat(row[r2Column+j].attr["title"], 64)
			if marked := strings.Contains(row[r2Column+j].attr["class"], "best"); marked != (v == best) {
				t.Errorf("stage %q, R² column %d: %v highlighted %v; the best is %v", res.Stages[i].Stage, j, v, marked, best)
			}
		}
	}
}

// checkFigures checks the plots page shows for res: value, delta and gamma
// per stage, the loss, significance, kept and over-estimation plots, and the
// notes in the captions of a diverged stage and of dead nodes.
func checkFigures(t *testing.T, page *node, res *results.Run) {
	t.Helper()
	figs := figures(t, page)
	if len(figs) != 3*len(res.Stages)+4 {
		t.Errorf("the page shows %d plots, want 3 per stage and 4 more", len(figs))
	}
	for i := range res.Stages {
		for _, kind := range []string{"value", "delta", "gamma"} {
			if _, ok := figs[fmt.Sprintf("stage%d-%s", i+1, kind)]; !ok {
				t.Errorf("stage %d has no %s plot", i+1, kind)
			}
		}
	}
	for _, f := range []string{"loss", "significance", "kept", "overestimation"} {
		if _, ok := figs[f]; !ok {
			t.Errorf("the page does not show the %s plot", f)
		}
	}
	if c := figs["stage4-value"]; !strings.Contains(c, "predictions are not shown") {
		t.Errorf("caption of the diverged stage's price: %q; want a note on the predictions left out", c)
	}
	if c := figs["stage1-value"]; strings.Contains(c, "not shown") {
		t.Errorf("caption of a sane stage's price: %q; want no note", c)
	}
	if c := figs["significance"]; !strings.Contains(c, "3 nodes of zero") {
		t.Errorf("caption of the significance plot: %q; want a note on the 3 dead nodes", c)
	}
}

// checkIASATable checks the IASA section of page against res: one row per
// layer with its number, width, kept nodes and adjoint over-estimation.
func checkIASATable(t *testing.T, page *node, res *results.Run) {
	t.Helper()
	iasa := page.byID("iasa")
	if iasa == nil {
		t.Fatal("no IASA section")
	}
	layers := iasa.all("tbody")[0].all("tr")
	if len(layers) != len(res.IASA.Layers) {
		t.Errorf("IASA table has %d rows, want %d", len(layers), len(res.IASA.Layers))
	}
	for i, tr := range layers {
		tds := tr.all("td")
		lp := res.IASA.Layers[i]
		if tds[0].text != strconv.Itoa(lp.Layer) || tds[1].text != strconv.Itoa(lp.Width) || tds[2].text != strconv.Itoa(len(lp.Kept)) {
			t.Errorf("IASA row %d: %q %q %q, want layer %d, width %d, kept %d", i, tds[0].text, tds[1].text, tds[2].text, lp.Layer, lp.Width, len(lp.Kept))
		}
		if want := fmtG(float64(lp.OverAdjoint)); tds[6].text != want {
			t.Errorf("IASA row %d: adjoint over-estimation %q, want %q", i, tds[6].text, want)
		}
	}
}

// figures returns the plots of the page, each figure's id with its caption.
// Every figure must have an id, one image and one caption.
func figures(t *testing.T, page *node) map[string]string {
	t.Helper()
	figs := map[string]string{}
	for _, fig := range page.all("figure") {
		imgs, caps := fig.all("img"), fig.all("figcaption")
		if len(imgs) != 1 || len(caps) != 1 {
			t.Fatalf("a figure has %d images and %d captions, want one of each", len(imgs), len(caps))
		}
		id := fig.attr["id"]
		if _, dup := figs[id]; dup || id == "" {
			t.Errorf("figure id %q is empty or not unique", id)
		}
		figs[id] = caps[0].allText()
	}
	return figs
}

func TestWriteWithoutIASAOrCurves(t *testing.T) {
	out := t.TempDir()
	writeRun(t, out, fixture{testRows: 100})
	if err := Write(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	page := checkPage(t, out)
	checkOnlyIndex(t, out)
	for _, id := range []string{"iasa", "training"} {
		if page.byID(id) != nil {
			t.Errorf("the page has a %s section; the run has none", id)
		}
	}
	if n := len(page.all("img")); n != 3*len(fixtureStages()) {
		t.Errorf("the page shows %d images, want 3 per stage (%d)", n, 3*len(fixtureStages()))
	}
}

func TestWriteReplacesReport(t *testing.T) {
	out := t.TempDir()
	res := writeRun(t, out, fixture{testRows: 100, stages: 2, iasa: true, history: true})
	if err := Write(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	res.IASA = nil
	res.Stages[0].Stage = "renamed-stage"
	if err := res.Write(filepath.Join(out, "results.json")); err != nil {
		t.Fatal(err)
	}
	if err := Write(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	page := checkPage(t, out)
	checkOnlyIndex(t, out)
	if figs := figures(t, page); len(figs) != 3*2+1 {
		t.Errorf("the rewritten report shows %d plots, want 7 (3 per stage and the loss)", len(figs))
	}
	if rows := resultsRows(t, page); rows[0][0].text != "renamed-stage" {
		t.Errorf("first stage is %q after rewriting, want renamed-stage", rows[0][0].text)
	}
	if page.byID("iasa") != nil {
		t.Error("the rewritten report kept the IASA section of the first")
	}
}

// TestWriteKeepsOtherFiles checks that Write leaves alone what the user keeps
// in the report directory, files and folders, and removes only the PNG plots
// that earlier versions wrote there.
func TestWriteKeepsOtherFiles(t *testing.T) {
	out := t.TempDir()
	writeRun(t, out, fixture{testRows: 100, stages: 2, iasa: true, history: true})
	dir := filepath.Join(out, "report")
	kept := map[string]string{ // path in dir → content, "" for a folder
		"notes.txt":               "what I saw in this run\n",
		"sub":                     "",
		"sub/figure.png":          "a plot of mine",
		"sub/loss.png":            "not beside the page",
		"my-plot.png":             "another plot of mine",
		"stage0-value.png":        "no stage 0",
		"stage01-value.png":       "not a name Write used",
		"stage1-values.png":       "not a name Write used",
		"stage1-value.png.orig":   "a copy",
		"loss.PNG":                "not a name Write used",
		"significance.png":        "", // a folder with a plot's name
		"significance.png/a.txt":  "inside it",
		"stage3-gamma.png.backup": "a copy",
	}
	old := []string{"loss.png", "kept.png", "overestimation.png", "stage1-value.png", "stage2-delta.png", "stage12-gamma.png"}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(kept)) {
		path := filepath.Join(dir, name)
		if kept[name] == "" {
			if err := os.MkdirAll(path, 0o755); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(path, []byte(kept[name]), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range old {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("an old plot"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := Write(context.Background(), out); err != nil {
			t.Fatal(err)
		}
		checkPage(t, out)
		for name, content := range kept {
			path := filepath.Join(dir, name)
			fi, err := os.Stat(path)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			if content == "" {
				if !fi.IsDir() {
					t.Errorf("%s is no longer a folder", name)
				}
				continue
			}
			if got, err := os.ReadFile(path); err != nil || string(got) != content || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s changed: %q, mode %v (%v); want %q, mode 0600", name, got, fi.Mode().Perm(), err, content)
			}
		}
		for _, name := range old {
			if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("old plot %s was not removed (stat: %v)", name, err)
			}
		}
	}
}

func TestOldPlot(t *testing.T) {
	for _, name := range []string{"loss.png", "significance.png", "kept.png", "overestimation.png",
		"stage1-value.png", "stage1-delta.png", "stage1-gamma.png", "stage6-gamma.png", "stage12-value.png"} {
		if !oldPlot(name) {
			t.Errorf("oldPlot(%q) = false, want true", name)
		}
	}
	for _, name := range []string{"index.html", "notes.txt", "loss.PNG", "loss.png.orig", "loss", "my-plot.png",
		"stage-value.png", "stage0-value.png", "stage01-value.png", "stage1-values.png", "stage1value.png",
		"stage1-value.svg", "stage+1-value.png", "stage1-.png", "stage1-value-2.png", ".loss.png"} {
		if oldPlot(name) {
			t.Errorf("oldPlot(%q) = true, want false", name)
		}
	}
}

func TestWriteReportNotADirectory(t *testing.T) {
	out := t.TempDir()
	writeRun(t, out, fixture{testRows: 50, stages: 1})
	write(t, out, "report", "a file of mine")
	err := Write(context.Background(), out)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(out, "report")) {
		t.Fatalf("Write with a file named report: %v, want an error naming it", err)
	}
	if got, err := os.ReadFile(filepath.Join(out, "report")); err != nil || string(got) != "a file of mine" {
		t.Errorf("the file named report changed: %q (%v)", got, err)
	}
	checkNoTemp(t, out)
}

func TestWriteErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(t *testing.T, out string)
		want   []string // substrings of the error
	}{
		{"no results", func(t *testing.T, out string) { remove(t, out, "results.json") },
			[]string{"results.json is missing"}},
		{"empty results", func(t *testing.T, out string) { write(t, out, "results.json", "{}") },
			[]string{"results.json", "no stages"}},
		{"no model", func(t *testing.T, out string) { remove(t, out, "models/pruned.onnx") },
			[]string{filepath.Join("models", "pruned.onnx"), `"pruned"`, "missing"}},
		{"bad model", func(t *testing.T, out string) { write(t, out, "models/pruned.onnx", "not onnx") },
			[]string{filepath.Join("models", "pruned.onnx"), `"pruned"`}},
		{"model inputs", func(t *testing.T, out string) {
			net := mlp.New(2, []int{3}, mlp.SiLU)
			if err := onnx.Save(filepath.Join(out, "models", "pruned.onnx"), net); err != nil {
				t.Fatal(err)
			}
		}, []string{filepath.Join("models", "pruned.onnx"), "2 inputs, want 3"}},
		{"no test set", func(t *testing.T, out string) { remove(t, out, "data/test.npz") },
			[]string{"test.npz is missing"}},
		{"no spec", func(t *testing.T, out string) { remove(t, out, "data/spec.json") },
			[]string{"spec.json is missing"}},
		{"spec weights", func(t *testing.T, out string) {
			write(t, out, "data/spec.json", `{"weights": [0.5, 0.5]}`)
		}, []string{"spec.json", "2 basket weights, want 3"}},
		{"bad spec", func(t *testing.T, out string) { write(t, out, "data/spec.json", `{"weights": `) },
			[]string{"spec.json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			writeRun(t, out, fixture{testRows: 50})
			tc.break_(t, out)
			err := Write(context.Background(), out)
			if err == nil {
				t.Fatal("Write succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, err := os.Stat(filepath.Join(out, "report")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a failed Write left a report directory (stat: %v)", err)
			}
			checkNoTemp(t, out)
		})
	}
	if err := Write(context.Background(), filepath.Join(t.TempDir(), "absent")); err == nil || !strings.Contains(err.Error(), "absent") {
		t.Errorf("Write on a missing directory: %v, want an error naming it", err)
	}
}

func remove(t *testing.T, out, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(out, name)); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, out, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(out, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// countdown is a context that reports itself cancelled from the (left+1)-th
// call of Err on; calls counts the calls.
type countdown struct {
	context.Context
	left, calls int
}

func (c *countdown) Err() error {
	c.calls++
	if c.calls > c.left {
		return context.Canceled
	}
	return nil
}

// tree returns every path under dir with its content ("" for directories).
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		content := ""
		if !d.IsDir() {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			content = string(b)
		}
		files[path] = content
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestWriteCancelled cancels Write at each point where it looks at its
// context, without and then with an earlier report in place, and checks that
// the output directory is left exactly as it was.
func TestWriteCancelled(t *testing.T) {
	out := t.TempDir()
	writeRun(t, out, fixture{testRows: 40, stages: 1, iasa: true, history: true})
	probe := &countdown{Context: context.Background(), left: math.MaxInt}
	if err := Write(probe, out); err != nil {
		t.Fatal(err)
	}
	if probe.calls < 5 {
		t.Fatalf("Write looked at its context %d times, want at least once per stage and section", probe.calls)
	}
	for _, earlier := range []bool{false, true} {
		if !earlier {
			if err := os.RemoveAll(filepath.Join(out, "report")); err != nil {
				t.Fatal(err)
			}
		} else if err := Write(context.Background(), out); err != nil {
			t.Fatal(err)
		}
		before := tree(t, out)
		for k := range probe.calls {
			err := Write(&countdown{Context: context.Background(), left: k}, out)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("earlier report %v, cancelled at check %d: got %v, want context.Canceled", earlier, k+1, err)
			}
			if after := tree(t, out); !reflect.DeepEqual(after, before) {
				t.Fatalf("earlier report %v, cancelled at check %d: the output directory changed", earlier, k+1)
			}
		}
	}
}

func TestSubsample(t *testing.T) {
	s := dataset.New(10, 2, dataset.WithGamma)
	for i := range 10 {
		s.X[2*i], s.X[2*i+1], s.Y[i], s.DYDX[2*i], s.DYDX[2*i+1], s.Gamma[i] = float64(i), -float64(i), 10*float64(i), 1, 2, 0.5*float64(i)
	}
	sub := subsample(s, 4)
	rows := []float64{0, 2, 5, 7} // ⌊k·10/4⌋
	if sub.N() != 4 || sub.Dims() != 2 {
		t.Fatalf("subsample has %d×%d, want 4×2", sub.N(), sub.Dims())
	}
	for k, i := range rows {
		if sub.X[2*k] != i || sub.X[2*k+1] != -i || sub.Y[k] != 10*i || sub.DYDX[2*k+1] != 2 || sub.Gamma[k] != 0.5*i {
			t.Errorf("subsample row %d is not row %v of the set", k, i)
		}
	}
	if subsample(s, 10) != s {
		t.Error("subsample copied a set that is small enough")
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtR2(0.99954512), "0.999545"},
		{fmtR2(-3.2e7), "-3.2e+07"},
		{fmtR2(-16.31), "-16.31"},
		{fmtR2(math.NaN()), "–"},
		{fmtG(math.NaN()), "–"},
		{fmtG(1.7654), "1.77"},
		{fmtInt(83713), "83,713"},
		{fmtInt(1234567), "1,234,567"},
		{fmtInt(999), "999"},
		{fmtInt(-1000), "-1,000"},
		{fmtWidths([]int{128, 128, 128, 128, 128, 128}), "6 × 128"},
		{fmtWidths([]int{8, 4}), "8, 4"},
		{fmtWidths([]int{48}), "48"},
		{fmtSeconds(3.14159), "3.14"},
		{fmtSeconds(125.44), "125.4"},
		{fmtSeconds(7325), "7325 (2h 02m)"},
		{logLabel(1, -5), "1e-5"},
		{logLabel(2, -3), "0.002"},
		{logLabel(5, 4), "50000"},
		{logLabel(1, 5), "1e5"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestLogTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var l []string
		for _, tk := range logTicks(lo, hi) {
			if tk.Value < lo || tk.Value > hi {
				t.Errorf("logTicks(%v, %v): tick %v outside the range", lo, hi, tk.Value)
			}
			if tk.Label != "" {
				l = append(l, tk.Label)
			}
		}
		return l
	}
	for _, tc := range []struct {
		lo, hi float64
		want   []string
	}{
		{1e-5, 3, []string{"1e-5", "1e-4", "0.001", "0.01", "0.1", "1"}}, // many decades: powers only
		{0.2, 8, []string{"0.2", "0.5", "1", "2", "5"}},                  // few: 2 and 5 too
		{1.7, 625, []string{"2", "5", "10", "20", "50", "100", "200", "500"}},
	} {
		if got := labels(tc.lo, tc.hi); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("logTicks(%v, %v) labels %q, want %q", tc.lo, tc.hi, got, tc.want)
		}
	}
	if got := labels(2.1, 4.3); len(got) < 2 { // within one decade: linear ticks
		t.Errorf("logTicks(2.1, 4.3) labels %q, want at least two", got)
	}
}

func TestConfigGroups(t *testing.T) {
	c := pipeline.Config{Dims: 7, Train: 8192, Seed: 3, Scratch: []int{8, 4}}
	c.Large.Hidden = []int{128, 128}
	c.Large.Activation = mlp.SiLU
	c.Large.LRMax = 0.001
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := configGroups(raw)
	if err != nil {
		t.Fatal(err)
	}
	get := func(group, key string) string {
		for _, g := range groups {
			for _, kv := range g.Rows {
				if g.Name == group && kv.Key == key {
					return kv.Value
				}
			}
		}
		return "(missing)"
	}
	if groups[0].Name != "run" || groups[0].Rows[0] != (keyValue{"dims", "7"}) {
		t.Errorf("first group %q starts with %v, want run and dims 7", groups[0].Name, groups[0].Rows[0])
	}
	for _, tc := range []struct{ group, key, want string }{
		{"run", "train", "8192"},
		{"run", "seed", "3"},
		{"run", "scratch_hidden", "8, 4"},
		{"large", "hidden", "2 × 128"},
		{"large", "activation", "silu"},
		{"large", "lr_max", "0.001"},
	} {
		if got := get(tc.group, tc.key); got != tc.want {
			t.Errorf("%s.%s = %q, want %q", tc.group, tc.key, got, tc.want)
		}
	}
}
