package dataset

import (
	"math"
	"strings"
	"testing"
)

// filled returns a Set of rows rows with distinct finite values in every array.
func filled(rows, n int, with Arrays) *Set {
	s := New(rows, n, with)
	for i := range s.X {
		s.X[i] = 1 + float64(i)/7
		s.DYDX[i] = -float64(i) / 3
	}
	for i := range s.Y {
		s.Y[i] = math.Sqrt(float64(i))
	}
	for i := range s.Gamma {
		s.Gamma[i] = 1 / float64(i+1)
	}
	for i := range s.Hessian {
		s.Hessian[i] = float64(i%11) - 5
	}
	return s
}

func TestNew(t *testing.T) {
	s := New(5, 3, WithGamma|WithHessian)
	if s.N() != 5 || s.Dims() != 3 {
		t.Errorf("N, Dims = %d, %d, want 5, 3", s.N(), s.Dims())
	}
	if len(s.X) != 15 || len(s.Y) != 5 || len(s.DYDX) != 15 || len(s.Gamma) != 5 || len(s.Hessian) != 45 {
		t.Errorf("lengths x %d y %d dydx %d gamma %d hessian %d, want 15 5 15 5 45",
			len(s.X), len(s.Y), len(s.DYDX), len(s.Gamma), len(s.Hessian))
	}
	if got := New(5, 3, WithGamma).Arrays(); got != WithGamma {
		t.Errorf("Arrays = %b, want %b", got, WithGamma)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate of a new set: %v", err)
	}
	if err := New(0, 1, 0).Validate(); err != nil {
		t.Errorf("Validate of an empty set: %v", err)
	}
	for _, tc := range []struct {
		name string
		f    func()
		want string
	}{
		{"dims 0", func() { New(1, 0, 0) }, panicDims},
		{"rows -1", func() { New(-1, 1, 0) }, panicRows},
		{"bad arrays", func() { New(1, 1, 4) }, panicArrays},
		{"slice past end", func() { s.Slice(2, 6) }, panicSlice},
		{"slice reversed", func() { s.Slice(3, 2) }, panicSlice},
	} {
		func() {
			defer func() {
				if r := recover(); r != tc.want {
					t.Errorf("%s: panic %v, want %q", tc.name, r, tc.want)
				}
			}()
			tc.f()
		}()
	}
}

func TestSlice(t *testing.T) {
	s := filled(5, 2, WithGamma|WithHessian)
	v := s.Slice(1, 3)
	if v.N() != 2 || v.Dims() != 2 || v.Arrays() != s.Arrays() {
		t.Fatalf("Slice(1, 3): N %d, Dims %d, Arrays %b; want 2, 2, %b", v.N(), v.Dims(), v.Arrays(), s.Arrays())
	}
	if v.X[0] != s.X[2] || v.Y[1] != s.Y[2] || v.DYDX[3] != s.DYDX[5] || v.Gamma[0] != s.Gamma[1] || v.Hessian[4] != s.Hessian[8] {
		t.Error("Slice(1, 3) does not start at row 1")
	}
	v.Y[0] = 42
	if s.Y[1] != 42 {
		t.Error("Slice does not share memory with the set")
	}
	if err := v.Validate(); err != nil {
		t.Error(err)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(s *Set)
		want string
	}{
		{"zero set", func(s *Set) { *s = Set{} }, "dataset: set has no inputs per row"},
		{"short x", func(s *Set) { s.X = s.X[:7] }, `dataset: array "x" has 7 values, want 8 (4 rows of 2 to match "y")`},
		{"long dydx", func(s *Set) { s.DYDX = append(s.DYDX, 0) }, `dataset: array "dydx" has 9 values, want 8`},
		{"short gamma", func(s *Set) { s.Gamma = s.Gamma[:3] }, `dataset: array "gamma" has 3 values, want 4`},
		{"short hessian", func(s *Set) { s.Hessian = s.Hessian[:15] }, `dataset: array "hessian" has 15 values, want 16`},
		{"NaN in x", func(s *Set) { s.X[5] = math.NaN() }, `dataset: array "x" has NaN at row 2, column 1 (want finite values)`},
		{"Inf in y", func(s *Set) { s.Y[3] = math.Inf(1) }, `dataset: array "y" has +Inf at row 3`},
		{"-Inf in dydx", func(s *Set) { s.DYDX[2] = math.Inf(-1) }, `dataset: array "dydx" has -Inf at row 1, column 0`},
		{"NaN in gamma", func(s *Set) { s.Gamma[0] = math.NaN() }, `dataset: array "gamma" has NaN at row 0`},
		{"NaN in hessian", func(s *Set) { s.Hessian[4*3+2] = math.NaN() }, `dataset: array "hessian" has NaN at row 3, entry (1, 0)`},
		{"first bad row", func(s *Set) { s.X[7], s.X[3] = math.NaN(), math.NaN() }, `row 1, column 1`},
	} {
		s := filled(4, 2, WithGamma|WithHessian)
		tc.edit(s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
