package dataset

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadCSV(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data.csv")
	// Columns out of order, spaces around names and numbers, an extra column.
	writeFile(t, path, "dydx2, y ,id,x2,x1,dydx1,gamma\n"+
		"0.25,1.5,a,2,1,-0.5,7\n"+
		"1e-3, -0 ,b,4,3,0x1p-2,8\n")
	s, err := ReadCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &Set{
		X:     []float64{1, 2, 3, 4},
		Y:     []float64{1.5, math.Copysign(0, -1)},
		DYDX:  []float64{-0.5, 0.25, 0.25, 1e-3},
		Gamma: []float64{7, 8},
		dims:  2,
	}
	sameSet(t, s, want)

	// Without gamma; header only gives an empty set.
	writeFile(t, path, "x1,y,dydx1\n")
	s, err = ReadCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.N() != 0 || s.Dims() != 1 || s.Arrays() != 0 {
		t.Errorf("header-only file: N %d, Dims %d, Arrays %b; want 0, 1, 0", s.N(), s.Dims(), s.Arrays())
	}
}

func TestReadCSVErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want string
	}{
		{"missing dydx", "x1,x2,y,dydx1\n1,2,3,4\n",
			`line 1: missing column "dydx2" (the header has columns up to "x2", numbered from 1, so it needs x1…x2, y and dydx1…dydx2)`},
		{"missing x", "x1,x3,y,dydx1,dydx2,dydx3\n1,2,3,4,5,6\n", `line 1: missing column "x2"`},
		{"missing y", "x1,dydx1\n1,2\n", `line 1: missing column "y"`},
		{"more dydx than x", "x1,y,dydx1,dydx2\n1,2,3,4\n",
			`line 1: missing column "x2" (the header has columns up to "dydx2", numbered from 1, so it needs x1…x2, y and dydx1…dydx2)`},
		{"no x", "a,b\n1,2\n", `line 1: no input columns in the header "a,b", want x1…xn, y, dydx1…dydxn ` +
			`(or numbered from 0: x0…x(n-1), y, dydx0…dydx(n-1))`},
		{"leading zero", "x01,y,dydx1\n1,2,3\n", `line 1: no input columns`},
		{"duplicate", "x1,y,dydx1,x1\n1,2,3,4\n", `line 1: column "x1" appears twice (fields 1 and 4)`},
		{"not a number", "x1,y,dydx1\n1,2,3\n4,five,6\n", `line 3, column "y": cannot read "five" as a number`},
		{"empty cell", "x1,y,dydx1\n1,2,\n", `line 2, column "dydx1": cannot read "" as a number`},
		{"ragged", "x1,y,dydx1\n1,2,3\n4,5\n", `line 3 has 2 fields, want 3 as in the header`},
		{"NaN", "x1,y,dydx1,gamma\n1,2,3,4\n1,2,3,NaN\n", `line 3, column "gamma": NaN, want a finite number`},
		{"Inf", "x1,y,dydx1\n-inf,2,3\n", `line 2, column "x1": -Inf, want a finite number`},
		{"bad quote", "x1,y,dydx1\n1,\"2,3\n", `line 2: extraneous or missing " in quoted-field`},
		{"empty", "", `file is empty, want a header row naming the columns x1…xn, y, dydx1…dydxn (or numbered from 0: `},
		{"inputs from 0, gradients from 1", "x0,x1,x2,y,dydx1,dydx2,dydx3\n1,2,3,4,5,6,7\n",
			`line 1: column "dydx1" is numbered from 1, but the inputs x0…x2 from 0: want dydx0…dydx2, numbered like the inputs`},
		{"inputs from 1, gradients from 0", "dydx0,x1,y\n1,2,3\n",
			`line 1: column "dydx0" is numbered from 0, but the inputs x1 from 1: want dydx1, numbered like the inputs`},
		{"0-based gap", "x0,x2,y,dydx0,dydx1,dydx2\n1,2,3,4,5,6\n",
			`line 1: missing column "x1" (the header has columns up to "x2", numbered from 0, so it needs x0…x2, y and dydx0…dydx2)`},
		{"1-based gap at the start", "x2,x3,y,dydx2,dydx3\n1,2,3,4,5\n", `line 1: missing column "x1"`},
		{"0-based missing dydx0", "x0,x1,y,dydx1\n1,2,3,4\n", `line 1: column "dydx1" is numbered from 1, but the inputs x0…x1 from 0`},
		{"duplicate x0", "x0,y,dydx0, x0\n1,2,3,4\n", `line 1: column "x0" appears twice (fields 1 and 4)`},
		{"BOM, bad value", "\ufeffy,x1,dydx1\n1,2,x\n", `line 2, column "dydx1": cannot read "x" as a number`},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".csv")
		writeFile(t, path, tc.content)
		_, err := ReadCSV(path)
		if err == nil || !strings.HasPrefix(err.Error(), "dataset: "+path+": ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error\n\t%v\nwant one naming the file and containing\n\t%s", tc.name, err, tc.want)
		}
	}
}

// TestReadCSVNumbering reads the same data with inputs and gradients numbered
// from 0 and from 1, in a file that starts with a UTF-8 byte order mark as
// Excel writes it, and without.
func TestReadCSVNumbering(t *testing.T) {
	dir := t.TempDir()
	want := &Set{
		X:     []float64{1, 2, 3, 4, 5, 6},
		Y:     []float64{7, 8},
		DYDX:  []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6},
		Gamma: []float64{9, 10},
		dims:  3,
	}
	for _, tc := range []struct{ name, content string }{
		{"from 0", "x0,x1,x2,y,dydx0,dydx1,dydx2,gamma\n1,2,3,7,0.1,0.2,0.3,9\n4,5,6,8,0.4,0.5,0.6,10\n"},
		{"from 1", "x1,x2,x3,y,dydx1,dydx2,dydx3,gamma\n1,2,3,7,0.1,0.2,0.3,9\n4,5,6,8,0.4,0.5,0.6,10\n"},
		{"from 0, shuffled", "gamma,dydx2,x2,y,x0,dydx0,x1,dydx1\n9,0.3,3,7,1,0.1,2,0.2\n10,0.6,6,8,4,0.4,5,0.5\n"},
		{"BOM from 0", "\ufeffx0,x1,x2,y,dydx0,dydx1,dydx2,gamma\r\n1,2,3,7,0.1,0.2,0.3,9\r\n4,5,6,8,0.4,0.5,0.6,10\r\n"},
		{"BOM, y first", "\ufeffy,x1,x2,x3,dydx1,dydx2,dydx3,gamma\n7,1,2,3,0.1,0.2,0.3,9\n8,4,5,6,0.4,0.5,0.6,10\n"},
	} {
		path := filepath.Join(dir, "data.csv")
		writeFile(t, path, tc.content)
		s, err := ReadCSV(path)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		sameSet(t, s, want)
	}

	// One input, numbered x0.
	path := filepath.Join(dir, "one.csv")
	writeFile(t, path, "\ufeffx0,y,dydx0\n0.5,1,2\n")
	if s, err := ReadCSV(path); err != nil || s.Dims() != 1 || s.X[0] != 0.5 || s.DYDX[0] != 2 {
		t.Errorf("x0,y,dydx0: %v, %v; want one input 0.5 with gradient 2", s, err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	s := filled(3, 2, WithGamma)
	npzPath := filepath.Join(dir, "a.NPZ")
	if err := WriteNPZ(npzPath, s); err != nil {
		t.Fatal(err)
	}
	got, err := Load(npzPath)
	if err != nil {
		t.Fatal(err)
	}
	sameSet(t, got, s)

	csvPath := filepath.Join(dir, "a.csv")
	writeFile(t, csvPath, "x1,y,dydx1\n0.5,1,2\n")
	if got, err := Load(csvPath); err != nil || got.N() != 1 || got.X[0] != 0.5 {
		t.Errorf("Load(%q) = %v, %v; want one row with x1 = 0.5", csvPath, got, err)
	}

	txt := filepath.Join(dir, "a.txt")
	if _, err := Load(txt); err == nil || err.Error() != `dataset: `+txt+`: unknown file type ".txt", want .npz or .csv` {
		t.Errorf("Load(%q): error %v", txt, err)
	}
}
