package dataset

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// utf8BOM is the byte order mark that Excel and other Windows programs write
// at the start of a UTF-8 CSV file.
const utf8BOM = "\ufeff"

// columnsWanted names the columns a CSV header must have, for error messages.
const columnsWanted = "x1…xn, y, dydx1…dydxn (or numbered from 0: x0…x(n-1), y, dydx0…dydx(n-1))"

// csvColumn is a column that a CSV header names: array a and, for x and dydx,
// the number in its name as written ("x3" is x, 3). Column 0 has a == "".
type csvColumn struct {
	a   array
	num int
}

// parseColumnName maps a header name to its array and number: "x3" is x, 3,
// "dydx0" is dydx, 0, "y" and "gamma" are themselves. Names are matched after
// trimming spaces; numbers are decimal without leading zeros.
func parseColumnName(name string) (csvColumn, bool) {
	name = strings.TrimSpace(name)
	switch name {
	case "y", "gamma":
		return csvColumn{array(name), 0}, true
	}
	for _, prefix := range []string{"dydx", "x"} {
		digits, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		i, err := strconv.Atoi(digits)
		if err != nil || i < 0 || strconv.Itoa(i) != digits {
			continue
		}
		return csvColumn{array(prefix), i}, true
	}
	return csvColumn{}, false
}

// name returns the column's header name.
func (c csvColumn) name() string {
	if c.a == "y" || c.a == "gamma" {
		return string(c.a)
	}
	return string(c.a) + strconv.Itoa(c.num)
}

// span returns "x1…x3" for prefix x and numbers 1 to 3, or "x1" if lo == hi.
func span(prefix string, lo, hi int) string {
	if lo == hi {
		return prefix + strconv.Itoa(lo)
	}
	return prefix + strconv.Itoa(lo) + "…" + prefix + strconv.Itoa(hi)
}

// csvHeader is what a CSV header row says about the columns of the rows.
type csvHeader struct {
	cols  []csvColumn // the column of each field; a == "" for fields that are ignored
	base  int         // the number of the first input: 0 or 1
	dims  int         // inputs per row, n
	gamma bool        // the header names gamma
}

// parseCSVHeader reads the header fields: x and dydx columns numbered alike,
// either x0…x(n-1) and dydx0…dydx(n-1) or x1…xn and dydx1…dydxn, y, and
// optionally gamma. Errors do not name the file or the line.
func parseCSVHeader(fields []string) (csvHeader, error) {
	h := csvHeader{cols: make([]csvColumn, len(fields))}
	seen := map[csvColumn]int{}
	// The lowest and highest numbers of the x and dydx columns, -1 if none.
	xlo, xhi, dlo, dhi := -1, -1, -1, -1
	for j, name := range fields {
		c, ok := parseColumnName(name)
		if !ok {
			continue
		}
		if k, dup := seen[c]; dup {
			return csvHeader{}, fmt.Errorf("column %q appears twice (fields %d and %d)", c.name(), k+1, j+1)
		}
		seen[c] = j
		h.cols[j] = c
		switch c.a {
		case "x":
			if xlo < 0 || c.num < xlo {
				xlo = c.num
			}
			xhi = max(xhi, c.num)
		case "dydx":
			if dlo < 0 || c.num < dlo {
				dlo = c.num
			}
			dhi = max(dhi, c.num)
		case "gamma":
			h.gamma = true
		}
	}
	if xlo < 0 {
		return csvHeader{}, fmt.Errorf("no input columns in the header %q, want %s", strings.Join(fields, ","), columnsWanted)
	}
	h.base = min(xlo, 1)
	if dlo >= 0 && min(dlo, 1) != h.base {
		return csvHeader{}, fmt.Errorf("column %q is numbered from %d, but the inputs %s from %d: want %s, numbered like the inputs",
			csvColumn{"dydx", dlo}.name(), min(dlo, 1), span("x", xlo, xhi), h.base, span("dydx", h.base, xhi))
	}
	top := csvColumn{"x", xhi}
	if dhi > xhi {
		top = csvColumn{"dydx", dhi}
	}
	h.dims = top.num - h.base + 1
	need := []csvColumn{{"y", 0}}
	for i := h.base; i <= top.num; i++ {
		need = append(need, csvColumn{"x", i}, csvColumn{"dydx", i})
	}
	for _, c := range need {
		if _, ok := seen[c]; !ok {
			return csvHeader{}, fmt.Errorf("missing column %q (the header has columns up to %q, numbered from %d, so it needs %s, y and %s)",
				c.name(), top.name(), h.base, span("x", h.base, top.num), span("dydx", h.base, top.num))
		}
	}
	return h, nil
}

// ReadCSV reads a Set from the CSV file at path. Its first row names the
// columns: x1…xn, y, dydx1…dydxn and optionally gamma, in any order, or the
// same with inputs and gradients numbered from 0, x0…x(n-1) and
// dydx0…dydx(n-1); other columns are ignored. The x and dydx columns must be
// numbered alike and without gaps. A leading UTF-8 byte order mark, as Excel
// writes, is skipped. Every other row must have as many fields as the header,
// and every field a finite number in a form strconv.ParseFloat accepts.
// Errors name the line (1-based, counting the header) and the column.
func ReadCSV(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if bom, _ := br.Peek(len(utf8BOM)); string(bom) == utf8BOM {
		br.Discard(len(utf8BOM))
	}
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1 // checked below, with a clearer message
	r.ReuseRecord = true
	fields, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("dataset: %s: file is empty, want a header row naming the columns %s", path, columnsWanted)
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	h, err := parseCSVHeader(fields)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: line 1: %v", path, err)
	}
	width, n, cols := len(fields), h.dims, h.cols

	var with Arrays
	if h.gamma {
		with = WithGamma
	}
	s := New(0, n, with)
	row := make([]float64, width)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("dataset: %s: line %d: %v", path, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("dataset: %s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) != width {
			return nil, fmt.Errorf("dataset: %s: line %d has %d fields, want %d as in the header", path, line, len(rec), width)
		}
		for j, field := range rec {
			if cols[j].a == "" {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(field), 64)
			if err != nil {
				return nil, fmt.Errorf("dataset: %s: line %d, column %q: cannot read %q as a number", path, line, cols[j].name(), field)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("dataset: %s: line %d, column %q: %v, want a finite number", path, line, cols[j].name(), v)
			}
			row[j] = v
		}
		k := len(s.Y) // the new row
		s.X = append(s.X, make([]float64, n)...)
		s.DYDX = append(s.DYDX, make([]float64, n)...)
		s.Y = append(s.Y, 0)
		if h.gamma {
			s.Gamma = append(s.Gamma, 0)
		}
		for j, c := range cols {
			switch c.a {
			case "x":
				s.X[k*n+c.num-h.base] = row[j]
			case "dydx":
				s.DYDX[k*n+c.num-h.base] = row[j]
			case "y":
				s.Y[k] = row[j]
			case "gamma":
				s.Gamma[k] = row[j]
			}
		}
	}
	return s, nil
}

// Load reads a Set from path, choosing the reader by the file's extension:
// ReadNPZ for .npz, ReadCSV for .csv (in any letter case).
func Load(path string) (*Set, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".npz":
		return ReadNPZ(path)
	case ".csv":
		return ReadCSV(path)
	default:
		return nil, fmt.Errorf("dataset: %s: unknown file type %q, want .npz or .csv", path, ext)
	}
}
