package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// This file exports the page's plot style and configuration tables for
// other reports of the module (the study report of package study), so that
// their pages look like this one.

// NewPlot returns a plot in the style of the report: Liberation Sans, a bold
// title, the axis labels given and a light grid.
func NewPlot(title, xLabel, yLabel string) *plot.Plot { return newPlot(title, xLabel, yLabel) }

// Colour returns the i-th colour of the report's palette (Tableau 10),
// cycling, with opacity a ∈ [0, 1].
func Colour(i int, a float64) color.NRGBA { return colour(i, a) }

// LogAxis makes ax, whose data are the base-10 logarithms of positive values,
// read as a log scale of the values: labelled powers of ten (and 2 and 5
// over fewer than three decades) placed at their logarithms. A range of one
// value is widened to a factor of 2 either side. Set ax.Min and ax.Max, if at
// all, before calling it.
func LogAxis(ax *plot.Axis) { logAxis(ax) }

// SVG renders p as a w × h inch SVG element, for inlining in an HTML page:
// the <svg> element alone, without the XML declaration, its text escaped.
// If legendRight is set, p's legend is drawn in a strip right of the axes.
// Text is set in Liberation Sans, which the browser replaces by a similar
// font where it is not installed.
func SVG(p *plot.Plot, w, h float64, legendRight bool) ([]byte, error) {
	c := vgsvg.New(vg.Length(w)*vg.Inch, vg.Length(h)*vg.Inch)
	drawPlot(p, draw.New(c), legendRight)
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("report: SVG plot: %w", err)
	}
	out := b.Bytes()
	i := bytes.Index(out, []byte("<svg"))
	if i < 0 {
		return nil, fmt.Errorf("report: SVG plot: no <svg> element in the canvas's output")
	}
	return out[i:], nil
}

// Table is a titled table of settings, one Key and Value per row.
type Table struct {
	Name string
	Rows [][2]string
}

// ConfigTables returns the JSON object raw as the run report shows a run's
// configuration: one table named top for the top-level settings that are not
// objects, then one per object with its settings, nested objects flattened
// to dotted keys, in the order of the keys. Strings are shown unquoted,
// arrays of integers as "6 × 128" or "64, 32, 16" and null as "–". Empty
// raw or null gives no tables; anything but an object is an error.
func ConfigTables(raw json.RawMessage, top string) ([]Table, error) {
	groups, err := configGroups(raw)
	if err != nil {
		return nil, err
	}
	tables := make([]Table, len(groups))
	for i, g := range groups {
		tables[i].Name = g.Name
		if i == 0 {
			tables[i].Name = top
		}
		for _, kv := range g.Rows {
			tables[i].Rows = append(tables[i].Rows, [2]string{kv.Key, kv.Value})
		}
	}
	return tables, nil
}
