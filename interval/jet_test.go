package interval

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestJets checks that the point jets of σ…σ‴ contain the 320-bit reference
// values and are narrow (1e-14 relative, plus absolute where terms cancel).
func TestJets(t *testing.T) {
	refSoftplusPrime := func(z *big.Float) *big.Float { return refSigmoid(z) }
	for _, tc := range []struct {
		name string
		jet  func(float64) [4]Interval
		ref  [4]func(*big.Float) *big.Float
	}{
		{"SiLUJet", SiLUJet, [4]func(*big.Float) *big.Float{refSiLU, refSiLUPrime, refSiLUPrime2, refSiLUPrime3}},
		{"SoftplusJet", SoftplusJet, [4]func(*big.Float) *big.Float{refSoftplus, refSoftplusPrime, refSoftplusPrime2, refSoftplusPrime3}},
		{"TanhJet", TanhJet, [4]func(*big.Float) *big.Float{refTanh, refTanhPrime, refTanhPrime2, refTanhPrime3}},
	} {
		rng := rand.New(rand.NewPCG(5, 6))
		for i := range 2000 {
			c := 24*rng.Float64() - 12
			if i%4 == 0 {
				c = math.Ldexp(rng.Float64()-0.5, -rng.IntN(40)) // near 0
			}
			jet := tc.jet(c)
			for k, ref := range tc.ref {
				want := ref(refArg(c))
				lo, hi := new(big.Float).SetFloat64(jet[k].Lo), new(big.Float).SetFloat64(jet[k].Hi)
				if lo.Cmp(want) > 0 || hi.Cmp(want) < 0 {
					w, _ := want.Float64()
					t.Fatalf("%s(%v)[%d] = %v does not contain %v", tc.name, c, k, jet[k], w)
				}
				w, _ := want.Float64()
				if jet[k].Width() > 1e-14*(1+math.Abs(w)) { // cancellation, as in 4 − 6q for tanh, costs some ulp
					t.Errorf("%s(%v)[%d] = %v is %g wide, want a few ulp of %v", tc.name, c, k, jet[k], jet[k].Width(), w)
				}
			}
		}
	}
}
