package iasa

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/sobolev-pruning/sobolev/interval"
)

func TestParseBox(t *testing.T) {
	got, err := ParseBox(" -1e-3 : 2 ", 2)
	if want := (Box{interval.New(-1e-3, 2), interval.New(-1e-3, 2)}); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseBox: %v, %v; want %v", got, err, want)
	}
	if got, err := ParseBox("0:1,2:3", 2); err != nil || !reflect.DeepEqual(got, Box{interval.New(0, 1), interval.New(2, 3)}) {
		t.Errorf("ParseBox of two ranges: %v, %v", got, err)
	}
	for _, s := range []string{"1e308:1", "1e400:1e401", "NaN:1", "0x:1", "", ":", "0:1,", "1:1", "0:1,0:1,0:1"} {
		if got, err := ParseBox(s, 2); err == nil {
			t.Errorf("ParseBox(%q) = %v, want an error", s, got)
		}
	}
}

func TestBoxValidate(t *testing.T) {
	if err := (Box{interval.New(0, 1), interval.New(-2, -1)}).Validate(); err != nil {
		t.Errorf("valid box: %v", err)
	}
	for _, b := range []Box{
		{{Lo: 1, Hi: 1}},
		{{Lo: 0, Hi: 1}, {Lo: 2, Hi: 1}},
		{{Lo: math.Inf(-1), Hi: 1}},
		{{Lo: 0, Hi: math.NaN()}},
	} {
		if err := b.Validate(); err == nil {
			t.Errorf("Validate(%v) = nil, want an error", b)
		}
	}
}

// TestSampleInBox checks that sampled points lie in the box, cover it and
// do not depend on the block they are drawn in.
func TestSampleInBox(t *testing.T) {
	b := Box{interval.New(-1, 1), interval.New(1e-300, 2e-300), interval.New(5, 5+1e-12)}
	x := make([]float64, 3000*len(b))
	b.Sample(x, rand.New(rand.NewPCG(1, 2)))
	lo, hi := []float64{1, 1, 10}, []float64{-1, 0, 0}
	for r := 0; r < len(x); r += len(b) {
		for j, iv := range b {
			v := x[r+j]
			if v < iv.Lo || v > iv.Hi {
				t.Fatalf("point %d, input %d: %v outside %v", r/len(b), j, v, iv)
			}
			lo[j], hi[j] = min(lo[j], v), max(hi[j], v)
		}
	}
	if lo[0] > -0.99 || hi[0] < 0.99 {
		t.Errorf("3000 points span [%v, %v] of [−1, 1]", lo[0], hi[0])
	}
	y := make([]float64, 2*len(b))
	b.Sample(y, rand.New(rand.NewPCG(1, 2)))
	if !reflect.DeepEqual(y, x[:len(y)]) {
		t.Errorf("the first points depend on how many are drawn")
	}
}
