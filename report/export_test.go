package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"testing"

	"gonum.org/v1/plot/plotter"
)

func TestSVG(t *testing.T) {
	p := NewPlot("a < b & c", "x", "y (log scale)")
	l, err := plotter.NewLine(plotter.XYs{{X: 1, Y: 0}, {X: 2, Y: 1}, {X: 3, Y: 2}})
	if err != nil {
		t.Fatal(err)
	}
	l.Color = Colour(1, 1)
	p.Add(l)
	p.Legend.Add("series <1>", l)
	LogAxis(&p.Y)
	for _, right := range []bool{false, true} {
		svg, err := SVG(p, 4, 3, right)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(svg, []byte("<svg")) {
			t.Fatalf("SVG starts with %.30q, want <svg", svg)
		}
		dec := xml.NewDecoder(bytes.NewReader(svg))
		var texts []string
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("SVG (legend right %v) is not well-formed XML: %v", right, err)
			}
			if c, ok := tok.(xml.CharData); ok {
				texts = append(texts, string(c))
			}
		}
		found := map[string]bool{}
		for _, s := range texts {
			found[s] = true
		}
		// The title and legend are escaped; the log axis labels 1, 10 and 100.
		for _, want := range []string{"a < b & c", "series <1>", "1", "10", "100"} {
			if !found[want] {
				t.Errorf("SVG (legend right %v) lacks the text %q", right, want)
			}
		}
	}
}

func TestConfigTables(t *testing.T) {
	tables, err := ConfigTables(json.RawMessage(`{"seeds":5,"sizes":[48,24],"large":{"hidden":[8,8,8],"opt":{"lr":0.01}},"name":"x"}`), "study")
	if err != nil {
		t.Fatal(err)
	}
	want := []Table{
		{Name: "study", Rows: [][2]string{{"seeds", "5"}, {"sizes", "48, 24"}, {"name", "x"}}},
		{Name: "large", Rows: [][2]string{{"hidden", "3 × 8"}, {"opt.lr", "0.01"}}},
	}
	got, _ := json.Marshal(tables)
	exp, _ := json.Marshal(want)
	if !bytes.Equal(got, exp) {
		t.Errorf("ConfigTables = %s, want %s", got, exp)
	}
	if _, err := ConfigTables(json.RawMessage(`[1]`), "study"); err == nil {
		t.Error("ConfigTables of an array: no error")
	}
}
