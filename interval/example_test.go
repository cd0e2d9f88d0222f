package interval_test

import (
	"fmt"

	"github.com/sobolev-pruning/sobolev/interval"
)

func ExampleMul() {
	a := interval.New(-1, 2)
	b := interval.New(0.1, 0.1) // the float64 nearest to 0.1
	fmt.Println(interval.Mul(a, b))
	fmt.Println(interval.Mul(interval.New(0, 0), interval.Entire())) // set-based: 0·∞ = 0
	fmt.Println(interval.Div(interval.New(1, 2), interval.New(0, 4)))
	fmt.Println(interval.Div(interval.New(1, 2), interval.New(-1, 1)))
	// Output:
	// [-0.1, 0.2]
	// [0, 0]
	// [0.25, +Inf]
	// [entire]
}

func ExampleAdd() {
	// The exact sum of the float64s nearest to 0.1 and 0.2 is not a float64:
	// the result is its two neighbours. Round-to-nearest gives the upper one.
	s := interval.Add(interval.Point(0.1), interval.Point(0.2))
	fmt.Println(s, s.Contains(0.3), s.Contains(0.1+0.2))
	// Output: [0.3, 0.30000000000000004] true true
}

func ExampleSiLU() {
	// SiLU is not monotone: on [-3, 1] its minimum is at z ≈ -1.2785.
	z := interval.New(-3, 1)
	fmt.Printf("%.10f\n", interval.SiLU(z).Lo)
	fmt.Printf("%.10f\n", interval.SiLU(z).Hi)
	// The derivative, for the interval adjoint pass.
	d := interval.SiLUPrime(z)
	fmt.Printf("[%.10f, %.10f]\n", d.Lo, d.Hi)
	// Output:
	// -0.2784645428
	// 0.7310585786
	// [-0.0998393201, 0.9276705119]
}

func ExampleMulVec() {
	// z = W·x + b for a 2×3 layer on the box x ∈ [0, 1] × [1, 2] × [-1, 1].
	w := []float64{
		1, -2, 0.5,
		0, 3, -1,
	}
	b := []float64{0.25, -1}
	x := []interval.Interval{interval.New(0, 1), interval.New(1, 2), interval.New(-1, 1)}
	z := interval.MulVec(nil, w, 2, 3, x, b)
	for _, zi := range z {
		fmt.Printf("[%.6f, %.6f]\n", zi.Lo, zi.Hi)
	}
	// The adjoint step g = Wᵀ·δ for δ ∈ [1, 1] × [-1, 0].
	g := interval.MulVecTrans(nil, w, 2, 3, []interval.Interval{interval.Point(1), interval.New(-1, 0)})
	fmt.Println(len(g), g[1].Contains(-2), g[1].Contains(-5))
	// Output:
	// [-4.250000, -0.250000]
	// [1.000000, 6.000000]
	// 3 true true
}
