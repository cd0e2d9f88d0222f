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

// csvColumn says where a CSV column goes: array a, column col (0 for y and gamma).
type csvColumn struct {
	a   array
	col int
}

// parseColumnName maps a header name to its array and column: "x3" is column
// 2 of x, "dydx1" column 0 of dydx, "y" and "gamma" are themselves. Names are
// matched after trimming spaces; indices are 1-based without leading zeros.
func parseColumnName(name string) (csvColumn, bool) {
	name = strings.TrimSpace(name)
	switch name {
	case "y", "gamma":
		return csvColumn{array(name), 0}, true
	}
	for _, prefix := range []string{"dydx", "x"} {
		digits, ok := strings.CutPrefix(name, prefix)
		if !ok || digits == "" || digits[0] == '0' {
			continue
		}
		i, err := strconv.Atoi(digits)
		if err != nil || strconv.Itoa(i) != digits {
			continue
		}
		return csvColumn{array(prefix), i - 1}, true
	}
	return csvColumn{}, false
}

// ReadCSV reads a Set from the CSV file at path. Its first row names the
// columns: x1…xn, y, dydx1…dydxn and optionally gamma, in any order; other
// columns are ignored. Every other row must have as many fields as the header,
// and every field a finite number in a form strconv.ParseFloat accepts.
// Errors name the line (1-based, counting the header) and the column.
func ReadCSV(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.FieldsPerRecord = -1 // checked below, with a clearer message
	r.ReuseRecord = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("dataset: %s: file is empty, want a header row naming the columns x1…xn, y, dydx1…dydxn", path)
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	header = append([]string(nil), header...)
	cols := make([]csvColumn, len(header))
	used := make([]bool, len(header))
	seen := map[csvColumn]int{}
	n, nd := 0, 0
	var hasGamma bool
	for j, name := range header {
		c, ok := parseColumnName(name)
		if !ok {
			continue
		}
		if k, dup := seen[c]; dup {
			return nil, fmt.Errorf("dataset: %s: line 1: column %q appears twice (fields %d and %d)", path, strings.TrimSpace(name), k+1, j+1)
		}
		seen[c] = j
		cols[j], used[j] = c, true
		switch c.a {
		case "x":
			n = max(n, c.col+1)
		case "dydx":
			nd = max(nd, c.col+1)
		case "gamma":
			hasGamma = true
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("dataset: %s: line 1: no input columns x1…xn in the header %q", path, strings.Join(header, ","))
	}
	need := []csvColumn{{"y", 0}}
	for i := range max(n, nd) {
		need = append(need, csvColumn{"x", i}, csvColumn{"dydx", i})
	}
	for _, c := range need {
		if _, ok := seen[c]; !ok {
			return nil, fmt.Errorf("dataset: %s: line 1: missing column %q (the header has x1…x%d, so it needs y and dydx1…dydx%d)",
				path, c.name(), max(n, nd), max(n, nd))
		}
	}

	var with Arrays
	if hasGamma {
		with = WithGamma
	}
	s := New(0, n, with)
	row := make([]float64, len(header))
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
		if len(rec) != len(header) {
			return nil, fmt.Errorf("dataset: %s: line %d has %d fields, want %d as in the header", path, line, len(rec), len(header))
		}
		for j, field := range rec {
			if !used[j] {
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
		base := len(s.Y)
		s.X = append(s.X, make([]float64, n)...)
		s.DYDX = append(s.DYDX, make([]float64, n)...)
		s.Y = append(s.Y, 0)
		if hasGamma {
			s.Gamma = append(s.Gamma, 0)
		}
		for j, c := range cols {
			if !used[j] {
				continue
			}
			switch c.a {
			case "x":
				s.X[base*n+c.col] = row[j]
			case "dydx":
				s.DYDX[base*n+c.col] = row[j]
			case "y":
				s.Y[base] = row[j]
			case "gamma":
				s.Gamma[base] = row[j]
			}
		}
	}
	return s, nil
}

// name returns the column's header name.
func (c csvColumn) name() string {
	if c.a == "y" || c.a == "gamma" {
		return string(c.a)
	}
	return string(c.a) + strconv.Itoa(c.col+1)
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
