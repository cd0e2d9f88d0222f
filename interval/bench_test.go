package interval

import (
	"math/rand/v2"
	"testing"
)

// Sinks keep the compiler from discarding the benchmarked work.
var (
	sinkInterval Interval
	sinkSlice    []Interval
)

// benchIntervals returns n moderate intervals, as an IASA forward pass sees.
func benchIntervals(n int) []Interval {
	r := rand.New(rand.NewPCG(7, 7))
	x := make([]Interval, n)
	for i := range x {
		m, w := uniform(r, -4, 4), uniform(r, 0, 0.5)
		x[i] = Interval{m - w, m + w}
	}
	return x
}

func BenchmarkMul(b *testing.B) {
	x := benchIntervals(256)
	var s Interval
	for i := 0; b.Loop(); i++ {
		s = Mul(x[i&255], x[(i+1)&255])
	}
	sinkInterval = s
}

func BenchmarkAdd(b *testing.B) {
	x := benchIntervals(256)
	var s Interval
	for i := 0; b.Loop(); i++ {
		s = Add(x[i&255], x[(i+1)&255])
	}
	sinkInterval = s
}

func BenchmarkExp(b *testing.B) {
	x := benchIntervals(256)
	var s Interval
	for i := 0; b.Loop(); i++ {
		s = Exp(x[i&255])
	}
	sinkInterval = s
}

func BenchmarkSiLU(b *testing.B) {
	x := benchIntervals(256)
	var s Interval
	for i := 0; b.Loop(); i++ {
		s = SiLU(x[i&255])
	}
	sinkInterval = s
}

func BenchmarkSiLUPrime(b *testing.B) {
	x := benchIntervals(256)
	var s Interval
	for i := 0; b.Loop(); i++ {
		s = SiLUPrime(x[i&255])
	}
	sinkInterval = s
}

// benchLayer returns a 128×128 weight matrix and bias with entries in ±0.1.
func benchLayer() (w, bias []float64) {
	r := rand.New(rand.NewPCG(8, 8))
	w, bias = make([]float64, 128*128), make([]float64, 128)
	for i := range w {
		w[i] = uniform(r, -0.1, 0.1)
	}
	for i := range bias {
		bias[i] = uniform(r, -0.1, 0.1)
	}
	return w, bias
}

func BenchmarkMulVec128(b *testing.B) {
	w, bias := benchLayer()
	x, dst := benchIntervals(128), make([]Interval, 128)
	for b.Loop() {
		MulVec(dst, w, 128, 128, x, bias)
	}
	sinkSlice = dst
}

func BenchmarkMulVecTrans128(b *testing.B) {
	w, _ := benchLayer()
	x, dst := benchIntervals(128), make([]Interval, 128)
	for b.Loop() {
		MulVecTrans(dst, w, 128, 128, x)
	}
	sinkSlice = dst
}
