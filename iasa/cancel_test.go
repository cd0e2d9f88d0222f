package iasa

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/sobolev-pruning/sobolev/mlp"
)

// TestAnalyzeCancelWithinBox cancels the analysis of a net whose one box
// takes seconds and checks that AnalyzeContext returns ctx.Err() promptly,
// from inside the box, for both form methods. Before the fix it finished
// the box (about 5 s for this net) and then the sampling of Samples.
func TestAnalyzeCancelWithinBox(t *testing.T) {
	if testing.Short() {
		t.Skip("analyses a 100-input net of 2 × 1024 nodes")
	}
	const n = 100
	net := xavierNet(n, []int{1024, 1024}, mlp.SiLU, 5)
	boxes, err := AroundPoints(data(4, n, 5), n, 0.05, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []Method{Quadratic, Affine} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			_, err := AnalyzeContext(ctx, net, boxes, Options{Method: m, Samples: 64})
			done <- err
		}()
		// The quadratic forms of one box take seconds; the affine ones
		// about 0.3 s on an AVX-512 CPU, so cancel well before.
		time.Sleep(50 * time.Millisecond)
		cancel()
		cancelled := time.Now()
		select {
		case err := <-done:
			stop := time.Since(cancelled)
			t.Logf("%v: returned %v after the cancellation (%v after the start)", m, stop.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%v: cancelled analysis returned %v, want context.Canceled", m, err)
			}
			if stop > 500*time.Millisecond {
				t.Errorf("%v: cancelled analysis returned %v after the cancellation, want well under 0.5 s", m, stop)
			}
		case <-time.After(time.Minute):
			t.Fatalf("%v: cancelled analysis still running after a minute", m)
		}
	}
}

// TestBlockedProductSameBits checks that splitting the products of the form
// passes into blocks of columns does not change a bit of the enclosures.
func TestBlockedProductSameBits(t *testing.T) {
	const n = 12
	net := xavierNet(n, []int{40, 30, 20}, mlp.SiLU, 6)
	boxes, err := AroundPoints(data(50, n, 6), n, 0.05, 5, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []Method{Quadratic, Affine, Zonotope} {
		kf, ka := symbols(Options{Method: m})
		want := make([]Enclosure, len(boxes))
		got := make([]Enclosure, len(boxes))
		for b := range boxes {
			want[b], got[b] = newEnclosure(net.Hidden()), newEnclosure(net.Hidden())
		}
		cen, rad := make([]float64, len(boxes)*n), make([]float64, len(boxes)*n)
		for b, box := range boxes {
			for j, x := range box {
				c := (x.Lo + x.Hi) / 2
				cen[b*n+j], rad[b*n+j] = (c-net.Norm.XMean[j])/net.Norm.XScale[j], (x.Hi-c)/net.Norm.XScale[j]
			}
		}
		whole := newFormPass(net, order(m), kf, ka, len(boxes), nil)
		whole.run(cen, rad, len(boxes), want)
		blocked := newFormPass(net, order(m), kf, ka, len(boxes), nil)
		blocked.blockWork = 1 // 64 columns per product
		blocked.run(cen, rad, len(boxes), got)
		for b := range boxes {
			for l := range want[b].A {
				for i := range want[b].A[l] {
					w, g := want[b].A[l][i], got[b].A[l][i]
					wg, gg := want[b].G[l][i], got[b].G[l][i]
					if !same(w.Lo, g.Lo) || !same(w.Hi, g.Hi) || !same(wg.Lo, gg.Lo) || !same(wg.Hi, gg.Hi) {
						t.Fatalf("%v: box %d layer %d node %d: blocked products give A %v G %v, one product A %v G %v", m, b, l+1, i, g, gg, w, wg)
					}
				}
			}
		}
	}
}

// same reports whether a and b have the same bits.
func same(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

// sameOver reports whether a and b are the same figures, bit for bit: an
// enclosure does not depend on the boxes analysed with it.
func sameOver(a, b Overestimation) bool {
	if a.Samples != b.Samples || a.Outside != b.Outside {
		return false
	}
	for _, p := range [][2][]float64{{a.Value, b.Value}, {a.Adjoint, b.Adjoint}, {a.Significance, b.Significance}} {
		if len(p[0]) != len(p[1]) {
			return false
		}
		for i, x := range p[0] {
			y := p[1][i]
			if !same(x, y) {
				return false
			}
		}
	}
	return true
}
