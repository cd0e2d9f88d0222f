package report

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/results"
)

// fixture describes a fake output directory of "sobolev run".
type fixture struct {
	testRows int  // rows of data/test.npz
	stages   int  // the first stages of fixtureStages; 0 means all
	iasa     bool // write an IASA record
	history  bool // give the trained stages training curves
}

// fixtureStage is a stage of a fixture.
type fixtureStage struct {
	name   string
	hidden []int
}

// fixtureStages returns the stages of a fixture.
func fixtureStages() []fixtureStage {
	return []fixtureStage{
		{"large-sobolev", []int{12, 12, 12}},
		{"pruned", []int{4, 3, 3}},
		{"pruned-sobolev-ft", []int{4, 3, 3}},
		{"diverged", []int{2, 2}}, // its outputs are scaled by 1e6
	}
}

// writeRun writes a fake output directory of "sobolev run" with a Bachelier
// model of 3 assets, random nets saved as ONNX and their true test scores,
// and returns the results it wrote to out/results.json.
func writeRun(t *testing.T, out string, f fixture) *results.Run {
	t.Helper()
	const n = 3
	for _, d := range []string{"data", "models"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	model, err := bachelier.New(n, 4)
	if err != nil {
		t.Fatal(err)
	}
	test := model.TestSet(f.testRows, false)
	if err := dataset.WriteNPZ(filepath.Join(out, "data", "test.npz"), test); err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteNPZ(filepath.Join(out, "data", "train.npz"), model.TrainingSet(64, bachelier.TrainOptions{})); err != nil {
		t.Fatal(err)
	}
	spec, err := json.MarshalIndent(model, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "data", "spec.json"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	norm, err := mlp.FitNormalization(test.X, test.Y, n)
	if err != nil {
		t.Fatal(err)
	}

	cfg := pipeline.Quick()
	cfg.Dims = n
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res := &results.Run{Config: raw, Backend: results.Backend{BLAS: "gonum (pure Go)", Eval: "go"}, Seconds: 12.5}
	stages := fixtureStages()
	if f.stages > 0 {
		stages = stages[:f.stages]
	}
	for i, fs := range stages {
		net := mlp.New(n, fs.hidden, mlp.SiLU)
		net.Init(mlp.XavierUniform, uint64(i+1))
		net.Norm = norm
		if fs.name == "diverged" {
			net.Norm.YScale = 1e6
		}
		file := filepath.Join("models", fs.name+".onnx")
		if err := onnx.Save(filepath.Join(out, file), net); err != nil {
			t.Fatal(err)
		}
		st := results.Stage{
			Stage: fs.name, HiddenNodes: net.HiddenNodes(), Parameters: net.NumParams(), Hidden: fs.hidden,
			Scores: pipeline.Evaluate(net, test), Seconds: float64(i) + 0.25, Model: file,
		}
		if f.history && fs.name != "pruned" {
			for e := 1; e <= 20; e++ {
				ep := results.Epoch{Epoch: e, LR: 1e-3, Loss: math.Exp(-float64(e+i) / 5)}
				if i == 0 {
					setFloat(&ep.Validation, 1.2*ep.Loss)
				}
				st.History = append(st.History, ep)
			}
		}
		res.Stages = append(res.Stages, st)
	}
	if f.iasa {
		res.IASA = fixtureIASA()
	}
	if err := res.Write(filepath.Join(out, "results.json")); err != nil {
		t.Fatal(err)
	}
	return res
}

// fixtureIASA returns the IASA record of a fixture: random significances
// for the layers of its first stage, the largest kept, and one dead node and
// one undefined over-estimation (NaN) in the last layer.
func fixtureIASA() *results.PruneReport {
	rng := rand.New(rand.NewPCG(7, 7))
	keep := []int{4, 3, 3}
	rep := &results.PruneReport{Method: "affine", Boxes: 16, Fold: "mean", Seconds: 0.5}
	for l, w := range fixtureStages()[0].hidden {
		lp := results.LayerPrune{Layer: l + 1, Width: w, Significance: make([]float64, w)}
		setFloat(&lp.OverValue, 1.7+0.1*float64(l))
		setFloat(&lp.OverAdjoint, 2.2)
		if l == len(fixtureStages()[0].hidden)-1 {
			// The adjoints of the last hidden layer are constant: their
			// over-estimation is not defined.
			setFloat(&lp.OverAdjoint, math.NaN())
		}
		setFloat(&lp.NaiveOverValue, math.Pow(5, float64(l+1)))
		for j := range lp.Significance {
			lp.Significance[j] = math.Exp(3 * rng.NormFloat64())
		}
		lp.Significance[w-1] = 0 // a dead node
		order := make([]int, w)
		for j := range order {
			order[j] = j
		}
		slices.SortFunc(order, func(a, b int) int { return cmp.Compare(lp.Significance[b], lp.Significance[a]) })
		lp.Kept = slices.Sorted(slices.Values(order[:keep[l]]))
		rep.Layers = append(rep.Layers, lp)
	}
	return rep
}

// setFloat sets *dst = v for a field of type float64 or results.Metric.
func setFloat[T ~float64](dst *T, v float64) { *dst = T(v) }

// node is an element of a parsed page.
type node struct {
	name     string
	attr     map[string]string
	children []*node
	text     string // character data directly inside the element
}

// parsePage parses the polyglot page at path with a strict XML decoder, so
// that unclosed or misnested elements are errors.
func parsePage(t *testing.T, path string) *node {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	root := &node{name: "#document"}
	stack := []*node{root}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed: %v", path, err)
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attr: map[string]string{}}
			for _, a := range tok.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.text += string(tok)
		}
	}
	if len(root.children) != 1 || root.children[0].name != "html" {
		t.Fatalf("%s: want one <html> root element", path)
	}
	return root.children[0]
}

// walk calls f on n and its descendants, depth first.
func (n *node) walk(f func(*node)) {
	f(n)
	for _, c := range n.children {
		c.walk(f)
	}
}

// all returns the descendants of n (n included) named name.
func (n *node) all(name string) []*node {
	var found []*node
	n.walk(func(m *node) {
		if m.name == name {
			found = append(found, m)
		}
	})
	return found
}

// byID returns the descendant of n with the given id, or nil.
func (n *node) byID(id string) *node {
	var found *node
	n.walk(func(m *node) {
		if m.attr["id"] == id {
			found = m
		}
	})
	return found
}

// parentOf returns the parent of the descendant c of n, or nil.
func (n *node) parentOf(c *node) *node {
	var found *node
	n.walk(func(m *node) {
		if slices.Contains(m.children, c) {
			found = m
		}
	})
	return found
}

// allText returns the character data of n and its descendants.
func (n *node) allText() string {
	var b strings.Builder
	n.walk(func(m *node) { b.WriteString(m.text) })
	return b.String()
}

// checkPage checks the report of out: it is a well-formed page that
// references no file, only anchors within the page and PNG images embedded as
// data: URLs, each a valid image at twice its displayed width; out and
// out/report hold no temporary files. It returns the parsed page.
func checkPage(t *testing.T, out string) *node {
	t.Helper()
	page := parsePage(t, IndexPath(out))
	if page.byID("results") == nil {
		t.Error("the page has no results section")
	}
	for _, style := range page.all("style") {
		if strings.Contains(style.text, "url(") || strings.Contains(style.text, "@import") {
			t.Error("the style sheet loads an external resource")
		}
	}
	page.walk(func(n *node) {
		switch n.name {
		case "script", "link", "iframe", "object", "embed":
			t.Errorf("the page has a <%s> element; want a self-contained page", n.name)
		}
		for _, key := range []string{"src", "href"} {
			ref, ok := n.attr[key]
			if !ok {
				continue
			}
			if id, ok := strings.CutPrefix(ref, "#"); ok {
				if page.byID(id) == nil {
					t.Errorf("link %q points to no element of the page", ref)
				}
				continue
			}
			data, ok := strings.CutPrefix(ref, "data:image/png;base64,")
			if n.name != "img" || key != "src" || !ok {
				t.Errorf("<%s %s=%.60q>: want only anchors and embedded PNG images", n.name, key, ref)
				continue
			}
			id := "(no figure)"
			if fig := page.parentOf(n); fig != nil && fig.name == "figure" {
				id = fig.attr["id"]
			}
			raw, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				t.Errorf("image of %s: %v", id, err)
				continue
			}
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Errorf("image of %s is not a valid PNG: %v", id, err)
				continue
			}
			width, err := strconv.Atoi(n.attr["width"])
			if got := img.Bounds().Dx(); err != nil || math.Abs(float64(got-2*width)) > 1 {
				t.Errorf("image of %s is %d pixels wide, shown at width %q; want twice the displayed width", id, got, n.attr["width"])
			}
			if n.attr["alt"] == "" {
				t.Errorf("image of %s has no alt text", id)
			}
		}
	})
	checkNoTemp(t, out)
	entries, err := os.ReadDir(filepath.Join(out, "report"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("%s left behind in the report directory", e.Name())
		}
	}
	return page
}

// checkOnlyIndex checks that out/report holds index.html and nothing else.
func checkOnlyIndex(t *testing.T, out string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(out, "report"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !reflect.DeepEqual(names, []string{indexName}) {
		t.Errorf("the report directory holds %q, want only index.html", names)
	}
}

// checkNoTemp checks that out holds no temporary directory of Write.
func checkNoTemp(t *testing.T, out string) {
	t.Helper()
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".report") {
			t.Errorf("%s left behind in the output directory", e.Name())
		}
	}
}

// resultsRows returns the rows of the results table, each a list of cells.
func resultsRows(t *testing.T, page *node) [][]*node {
	t.Helper()
	sec := page.byID("results")
	if sec == nil || len(sec.all("tbody")) != 1 {
		t.Fatal("no results table")
	}
	var rows [][]*node
	for _, tr := range sec.all("tbody")[0].all("tr") {
		rows = append(rows, tr.all("td"))
	}
	return rows
}
