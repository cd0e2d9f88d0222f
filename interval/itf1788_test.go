package interval

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestITF1788Selected runs the 707 bare binary64 vectors of ITF1788
// (Apache-2.0) for the operations this package implements, vendored with
// their licence and NOTICE in testdata/itf1788.
func TestITF1788Selected(t *testing.T) {
	runITF(t, filepath.Join("testdata", "itf1788", "itf1788_bare_selected.txt"), 707)
}

// lgplEnv names the environment variable that points TestITF1788LGPL at the
// FI_LIB, MPFI and C-XSC vectors.
const lgplEnv = "SOBOLEV_ITF1788_LGPL"

// TestITF1788LGPL runs the 810 FI_LIB, MPFI and C-XSC vectors of ITF1788 in
// the same line format. They are LGPL-2.1-or-later, so the project, which is
// Apache-2.0, does not carry them: the test runs when $SOBOLEV_ITF1788_LGPL
// names the file (itf1788_bare_lgpl.txt, see testdata/itf1788/README.md).
func TestITF1788LGPL(t *testing.T) {
	path := os.Getenv(lgplEnv)
	if path == "" {
		t.Skipf("$%s is not set: the LGPL-2.1 vectors are not part of the project (testdata/itf1788/README.md says where they come from)", lgplEnv)
	}
	runITF(t, path, 810)
}

func runITF(t *testing.T, path string, want int) {
	f, err := os.Open(path)
	if err != nil {
		abs, _ := filepath.Abs(path)
		t.Fatalf("ITF1788 vectors not found: looked for %s (%s): %v", path, abs, err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text, source, _ := strings.Cut(sc.Text(), "#")
		if strings.TrimSpace(text) == "" {
			continue
		}
		source = strings.TrimSpace(source)
		if source == "" {
			source = fmt.Sprintf("%s:%d", filepath.Base(path), line)
		}
		if err := checkITF(strings.Fields(text)); err != nil {
			t.Errorf("# %s: %s: %v", source, strings.TrimSpace(text), err)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	if n != want {
		t.Errorf("%s: ran %d vectors, want %d", path, n, want)
	}
}

// checkITF checks one vector, given as its tokens "op args... = result".
func checkITF(tok []string) error {
	p := itfParser{tok: tok[1:]}
	op := tok[0]
	switch op {
	case "isMember":
		x := p.number()
		a := p.interval()
		p.expect("=")
		want := p.boolean()
		if p.err != nil {
			return p.err
		}
		if got := a.Contains(x); got != want {
			return fmt.Errorf("got %v", got)
		}
		return nil
	case "subset":
		a, b := p.interval(), p.interval()
		p.expect("=")
		want := p.boolean()
		if p.err != nil {
			return p.err
		}
		if got := Subset(a, b); got != want {
			return fmt.Errorf("got %v", got)
		}
		return nil
	}
	unary := map[string]func(Interval) Interval{
		"pos": Pos, "neg": Neg, "recip": Recip, "sqr": Sqr, "sqrt": Sqrt,
		"exp": Exp, "log": Log, "tanh": Tanh,
	}
	binary := map[string]func(Interval, Interval) Interval{
		"add": Add, "sub": Sub, "mul": Mul, "div": Div,
		"intersection": Intersection, "convexHull": Hull,
	}
	var got Interval
	if f, ok := unary[op]; ok {
		got = f(p.interval())
	} else if f, ok := binary[op]; ok {
		a := p.interval()
		got = f(a, p.interval())
	} else {
		return fmt.Errorf("unknown operation %q", op)
	}
	p.expect("=")
	want := p.interval()
	if p.err != nil {
		return p.err
	}
	if len(p.tok) != 0 {
		return fmt.Errorf("trailing tokens %q", p.tok)
	}
	if !wellFormed(got) {
		return fmt.Errorf("got %v, which is not a well-formed interval", got)
	}
	switch op {
	case "exp", "log":
		return checkEnclosure(got, want, expLogSteps)
	case "tanh":
		return checkEnclosure(got, want, tanhSteps)
	}
	if got != want {
		return fmt.Errorf("got %v (%x, %x), want %v (%x, %x)", got, got.Lo, got.Hi, want, want.Lo, want.Hi)
	}
	return nil
}

// checkEnclosure reports whether got ⊇ want with each bound at most maxSteps
// float64 steps outside the tightest one, and whether empty results and
// infinite bounds agree exactly.
func checkEnclosure(got, want Interval, maxSteps int64) error {
	if want.IsEmpty() || got.IsEmpty() {
		if got.IsEmpty() != want.IsEmpty() {
			return fmt.Errorf("got %v, want %v", got, want)
		}
		return nil
	}
	if !Subset(want, got) {
		return fmt.Errorf("got %v (%x, %x), which does not enclose %v (%x, %x)", got, got.Lo, got.Hi, want, want.Lo, want.Hi)
	}
	if math.IsInf(want.Lo, 0) != math.IsInf(got.Lo, 0) || math.IsInf(want.Hi, 0) != math.IsInf(got.Hi, 0) {
		return fmt.Errorf("got %v, want %v: infinite bounds differ", got, want)
	}
	if d := steps(got.Lo, want.Lo); d > maxSteps {
		return fmt.Errorf("lower bound %x is %d steps below %x", got.Lo, d, want.Lo)
	}
	if d := steps(want.Hi, got.Hi); d > maxSteps {
		return fmt.Errorf("upper bound %x is %d steps above %x", got.Hi, d, want.Hi)
	}
	return nil
}

// ordinal maps float64 values to integers in the same order, with −0 and +0
// both mapped to 0 and adjacent floats to adjacent integers.
func ordinal(x float64) int64 {
	b := int64(math.Float64bits(x) &^ (1 << 63))
	if math.Signbit(x) {
		return -b
	}
	return b
}

// steps returns the number of float64 steps from a up to b (negative if b < a).
func steps(a, b float64) int64 { return ordinal(b) - ordinal(a) }

// wellFormed reports whether a is Empty() exactly or a valid [Lo, Hi].
func wellFormed(a Interval) bool {
	if a.Lo == math.Inf(1) && a.Hi == math.Inf(-1) {
		return true
	}
	return a.Lo <= a.Hi && a.Lo != math.Inf(1) && a.Hi != math.Inf(-1)
}

// itfParser reads operands from the tokens of one vector; the first error
// sticks and later reads return zero values.
type itfParser struct {
	tok []string
	err error
}

func (p *itfParser) next() string {
	if p.err != nil {
		return ""
	}
	if len(p.tok) == 0 {
		p.err = fmt.Errorf("line ends early")
		return ""
	}
	s := p.tok[0]
	p.tok = p.tok[1:]
	return s
}

func (p *itfParser) expect(s string) {
	if got := p.next(); p.err == nil && got != s {
		p.err = fmt.Errorf("found %q, want %q", got, s)
	}
}

func (p *itfParser) number() float64 {
	s := p.next()
	if p.err != nil {
		return 0
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		p.err = err
	}
	return x
}

func (p *itfParser) boolean() bool {
	switch s := p.next(); s {
	case "true":
		return true
	case "false":
		return false
	default:
		if p.err == nil {
			p.err = fmt.Errorf("found %q, want true or false", s)
		}
		return false
	}
}

// interval reads "empty", "entire" or two bounds. The bounds are used as
// they are (not through New), so the data's own well-formedness is checked.
func (p *itfParser) interval() Interval {
	if p.err == nil && len(p.tok) > 0 {
		switch p.tok[0] {
		case "empty":
			p.tok = p.tok[1:]
			return Empty()
		case "entire":
			p.tok = p.tok[1:]
			return Entire()
		}
	}
	a := Interval{p.number(), p.number()}
	if p.err == nil && !wellFormed(a) {
		p.err = fmt.Errorf("data error: [%v, %v] is not an interval", a.Lo, a.Hi)
	}
	return a
}
