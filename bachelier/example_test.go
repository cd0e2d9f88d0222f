package bachelier_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/dataset"
)

func ExampleBasket_Price() {
	b := bachelier.Basket{Weights: []float64{0.5, 0.5}, Strike: 1.1, Vol: 0.2, Tau: 1}
	spots := []float64{1.1, 1.1} // at the money: price = s·φ(0), delta_i = w_i/2
	fmt.Printf("%.6f %v %.6f\n", b.Price(spots), b.Delta(nil, spots), b.Gamma(spots))
	// Output: 0.079788 [0.25 0.25] 1.994711
}

func ExampleNew() {
	m, err := bachelier.New(7, 0)
	if err != nil {
		log.Fatal(err)
	}
	lo, hi := m.TestBox()
	fmt.Printf("n = %d, K = %.2f, T1 = %v, T2 = %v, basket vol %.1f, test box [%.4f, %.4f]\n",
		m.Dims(), m.Strike, m.T1, m.T2, m.Vol, lo, hi)
	// Output: n = 7, K = 1.10, T1 = 1, T2 = 2, basket vol 0.2, test box [0.3232, 1.6768]
}

func ExampleModel_TrainingSet() {
	m, err := bachelier.New(7, 0)
	if err != nil {
		log.Fatal(err)
	}
	train := m.TrainingSet(8192, bachelier.TrainOptions{Smoothing: 0.01})
	test := m.TestSet(4096, false)
	fmt.Println(train.N(), train.Dims(), train.Arrays() == dataset.WithGamma, test.N())
	// Output: 8192 7 true 4096
}

// Stream a training set to a .npz file, one block of 8192 samples in memory
// at a time.
func ExampleSampler_Stream() {
	dir, err := os.MkdirTemp("", "bachelier-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "train.npz")

	m, err := bachelier.New(7, 0)
	if err != nil {
		log.Fatal(err)
	}
	s := m.TrainingSampler(bachelier.TrainOptions{})
	w, err := dataset.CreateNPZ(path, m.Dims(), s.Arrays())
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort()
	if err := s.Stream(context.Background(), 100_000, 8192, w.Write); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	set, err := dataset.ReadNPZ(path)
	if err != nil {
		log.Fatal(err)
	}
	// The samples are those of m.TrainingSet(100_000, …), whatever the block size.
	same := set.Y[99_999] == m.TrainingSet(100_000, bachelier.TrainOptions{}).Y[99_999]
	fmt.Println(set.N(), same)
	// Output: 100000 true
}

// A portfolio of 4 basket calls on 7 assets: its price depends on the spots
// through 4 directions, so its Hessian has rank 4.
func ExampleNewPortfolio() {
	m, err := bachelier.NewPortfolio(7, 4, 0)
	if err != nil {
		log.Fatal(err)
	}
	p := m.Portfolio()
	spots := []float64{1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.1}
	fmt.Printf("%d baskets, price %.4f, gamma %.4f\n", len(p), p.Price(spots), p.Gamma(spots))
	for _, b := range p {
		fmt.Printf("strike %.3f, τ %.3f, vol %.3f\n", b.Strike, b.Tau, b.Vol)
	}
	// The data of the portfolio are drawn as those of one basket.
	train := m.TrainingSet(1000, bachelier.TrainOptions{Smoothing: 0.01})
	fmt.Println(train.N(), train.Dims())
	// Output:
	// 4 baskets, price 0.3044, gamma 6.2302
	// strike 1.100, τ 1.000, vol 0.200
	// strike 1.142, τ 1.666, vol 0.193
	// strike 1.049, τ 1.212, vol 0.250
	// strike 1.287, τ 1.442, vol 0.126
	// 1000 7
}
