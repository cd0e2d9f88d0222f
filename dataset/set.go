package dataset

import (
	"errors"
	"fmt"
	"math"
)

const (
	panicDims   = "dataset: dims < 1"
	panicRows   = "dataset: rows < 0"
	panicSlice  = "dataset: slice bounds out of range"
	panicArrays = "dataset: unknown Arrays bits"
)

// Arrays is a set of optional arrays of a Set, as bits.
type Arrays uint8

const (
	// WithGamma marks the Gamma array (N values of 1ᵀH1).
	WithGamma Arrays = 1 << iota
	// WithHessian marks the Hessian array (N×n×n values).
	WithHessian

	allArrays = WithGamma | WithHessian
)

// Names returns the names of the arrays a set with a has, as in a .npz
// archive: x, y, dydx, then gamma and hessian if present.
func (a Arrays) Names() []string {
	names := []string{"x", "y", "dydx"}
	if a&WithGamma != 0 {
		names = append(names, "gamma")
	}
	if a&WithHessian != 0 {
		names = append(names, "hessian")
	}
	return names
}

// Set is a data set of N rows with n inputs each; see the package
// documentation for the layout of its arrays. Gamma and Hessian are nil when
// the set does not have them.
//
// A Set is plain data: its arrays may be read and written directly, and
// Validate checks that their lengths agree with N and n. The zero Set has no
// inputs per row and is not valid; make Sets with New.
type Set struct {
	X, Y, DYDX     []float64
	Gamma, Hessian []float64

	// Widened lists, in archive order, the arrays that ReadNPZ found stored
	// in another dtype than float64 and converted to float64 exactly. It is
	// nil for float64 and CSV data and for Sets made by New or Slice.
	Widened []Widening

	dims int
}

// A Widening records that an array of a data file was stored in another
// dtype than float64, such as float32, float16 or an integer dtype, and was
// converted to float64 exactly when read.
type Widening struct {
	Array string // the array's name: x, y, dydx, gamma or hessian
	Dtype string // the NPY dtype found, such as '<f4', '>f2' or '|u1'
}

// String describes w as in "x is float32 ('<f4'), widened to float64
// exactly".
func (w Widening) String() string {
	t, err := parseDtype(w.Dtype)
	if err != nil {
		return fmt.Sprintf("%s is '%s', widened to float64 exactly", w.Array, w.Dtype)
	}
	return fmt.Sprintf("%s is %s ('%s'), widened to float64 exactly", w.Array, t.name(), w.Dtype)
}

// New returns a Set of rows rows and dims inputs per row with zeroed arrays.
// Gamma is allocated if with has WithGamma, Hessian if it has WithHessian.
// New panics if rows < 0, dims < 1 or with has other bits.
func New(rows, dims int, with Arrays) *Set {
	if rows < 0 {
		panic(panicRows)
	}
	if dims < 1 {
		panic(panicDims)
	}
	if with&^allArrays != 0 {
		panic(panicArrays)
	}
	s := &Set{
		X:    make([]float64, rows*dims),
		Y:    make([]float64, rows),
		DYDX: make([]float64, rows*dims),
		dims: dims,
	}
	if with&WithGamma != 0 {
		s.Gamma = make([]float64, rows)
	}
	if with&WithHessian != 0 {
		s.Hessian = make([]float64, rows*dims*dims)
	}
	return s
}

// N returns the number of rows, len(s.Y).
func (s *Set) N() int { return len(s.Y) }

// Dims returns the number of inputs per row, n.
func (s *Set) Dims() int { return s.dims }

// Arrays returns which optional arrays s has (a non-nil Gamma or Hessian).
func (s *Set) Arrays() Arrays {
	var a Arrays
	if s.Gamma != nil {
		a |= WithGamma
	}
	if s.Hessian != nil {
		a |= WithHessian
	}
	return a
}

// Slice returns the rows i ≤ r < j of s as a Set that shares s's memory.
// Slice panics unless 0 ≤ i ≤ j ≤ s.N() and s has valid lengths.
func (s *Set) Slice(i, j int) *Set {
	if i < 0 || j < i || j > s.N() || s.shapeError() != nil {
		panic(panicSlice)
	}
	n := s.dims
	t := &Set{
		X:    s.X[i*n : j*n : j*n],
		Y:    s.Y[i:j:j],
		DYDX: s.DYDX[i*n : j*n : j*n],
		dims: n,
	}
	if s.Gamma != nil {
		t.Gamma = s.Gamma[i:j:j]
	}
	if s.Hessian != nil {
		t.Hessian = s.Hessian[i*n*n : j*n*n : j*n*n]
	}
	return t
}

// Validate returns an error if the lengths of s's arrays do not agree with
// N = len(s.Y) and n = s.Dims(), or if a value is NaN or infinite; the error
// names the array and the first bad row (0-based) and column.
func (s *Set) Validate() error {
	if err := s.check(0); err != nil {
		return fmt.Errorf("dataset: %w", err)
	}
	return nil
}

// check is Validate without the package prefix; row indices in its errors are
// offset by first.
func (s *Set) check(first int) error {
	if err := s.shapeError(); err != nil {
		return err
	}
	return s.finiteError(first)
}

func (s *Set) shapeError() error {
	if s.dims < 1 {
		return errors.New("set has no inputs per row (make Sets with dataset.New)")
	}
	n, rows := s.dims, s.N()
	for _, a := range []struct {
		name string
		data []float64
		per  int
		opt  bool
	}{
		{"x", s.X, n, false},
		{"dydx", s.DYDX, n, false},
		{"gamma", s.Gamma, 1, true},
		{"hessian", s.Hessian, n * n, true},
	} {
		if a.opt && a.data == nil {
			continue
		}
		if len(a.data) != rows*a.per {
			return fmt.Errorf("array %q has %d values, want %d (%d rows of %d to match %q)",
				a.name, len(a.data), rows*a.per, rows, a.per, "y")
		}
	}
	return nil
}

// finiteError reports the first value of s that is NaN or ±Inf. Arrays are
// scanned in the order x, y, dydx, gamma, hessian.
func (s *Set) finiteError(first int) error {
	for _, a := range arraysOf(s.Arrays()) {
		x := a.data(s)
		if i := firstNonFinite(x); i >= 0 {
			return fmt.Errorf("array %q has %v at %s (want finite values)", a, x[i], a.at(i, s.dims, first))
		}
	}
	return nil
}

// firstNonFinite returns the index of the first NaN or ±Inf in x, or -1.
func firstNonFinite(x []float64) int {
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return i
		}
	}
	return -1
}
