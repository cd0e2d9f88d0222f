package mlp

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// Directions returns the raw directions v_k of the second-order term of the
// Sobolev loss (method.md §4), row-major of shape (1+k, n) with n =
// teacher.Inputs(): the all-ones vector, then k directions of kind d, each
// of length √n. RandomDirections draws them from a PCG generator seeded with
// seed; PrincipalDirections takes the leading principal directions of the
// teacher's gradients at the rows of x (at most n of them; seed unused). The
// teacher's Hessian-vector products along them are the labels of
// HessVecLabels. Directions panics if d is not a named kind.
func (d HVPDirections) Directions(teacher *Network, x []float64, k int, seed uint64) []float64 {
	switch d {
	case RandomDirections:
		return directions(teacher.Inputs(), k, seed)
	case PrincipalDirections:
		return principalDirections(teacher, x, k)
	}
	panic("mlp: unknown HVPDirections")
}

// directions returns the raw directions of the second-order term, shape
// (1+k, n): the all-ones vector, then k Gaussian directions scaled to the
// same length √n.
func directions(n, k int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0))
	d := make([]float64, (1+k)*n)
	for j := 0; j < n; j++ {
		d[j] = 1
	}
	for i := 1; i <= k; i++ {
		v := d[i*n : (i+1)*n]
		var ss float64
		for j := range v {
			v[j] = rng.NormFloat64()
			ss += v[j] * v[j]
		}
		s := math.Sqrt(float64(n) / ss)
		for j := range v {
			v[j] *= s
		}
	}
	return d
}

// principalDirections returns the raw directions of the second-order term,
// shape (1+k, n): the all-ones vector, then the k leading principal
// directions (eigenvectors of the covariance, largest eigenvalue first) of
// the teacher's gradients at the rows of x, each scaled to length √n with
// its largest entry positive. If k ≥ n, all n directions are used.
func principalDirections(teacher *Network, x []float64, k int) []float64 {
	n := teacher.Inputs()
	rows := len(x) / n
	grad := make([]float64, len(x))
	EvalParallel(teacher, nil, grad, nil, x, 0)
	cov := mat.NewSymDense(n, nil)
	stat.CovarianceMatrix(cov, mat.NewDense(rows, n, grad), nil)
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return directions(n, 0, 0) // degenerate gradients: the all-ones vector alone
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	k = min(k, n)
	d := directions(n, 0, 0)
	scale := math.Sqrt(float64(n))
	for i := 0; i < k; i++ {
		col := n - 1 - i // EigenSym sorts the eigenvalues in ascending order
		v := make([]float64, n)
		big := 0
		for j := range v {
			v[j] = vecs.At(j, col)
			if math.Abs(v[j]) > math.Abs(v[big]) {
				big = j
			}
		}
		s := scale
		if v[big] < 0 {
			s = -scale
		}
		for j := range v {
			v[j] *= s
		}
		d = append(d, v...)
	}
	return d
}
