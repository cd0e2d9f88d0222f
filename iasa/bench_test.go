package iasa

import (
	"testing"

	"github.com/sobolev-pruning/sobolev/mlp"
)

// sink keeps benchmark results alive.
var sink *Result

// benchmarkIASA times Analyze on a 7 → 6 × 128 SiLU net over 256 boxes of
// ±0.05 std around data points (the target: under 2 s with tightening).
func benchmarkIASA(b *testing.B, m Method, boxes int) {
	const n = 7
	net := xavierNet(n, []int{128, 128, 128, 128, 128, 128}, mlp.SiLU, 1)
	bx, err := AroundPoints(data(8192, n, 2), n, 0.05, boxes, 3)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if sink, err = Analyze(net, bx, Options{Method: m}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIASATight128(b *testing.B)    { benchmarkIASA(b, Quadratic, 256) }
func BenchmarkIASAAffine128(b *testing.B)   { benchmarkIASA(b, Affine, 256) }
func BenchmarkIASANaive128(b *testing.B)    { benchmarkIASA(b, Naive, 256) }
func BenchmarkIASAZonotope128(b *testing.B) { benchmarkIASA(b, Zonotope, 8) }
