package dataset_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/sobolev-pruning/sobolev/dataset"
)

func ExampleWriteNPZ() {
	dir, err := os.MkdirTemp("", "dataset-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "train.npz")

	s := dataset.New(2, 3, dataset.WithGamma)
	copy(s.X, []float64{1, 2, 3, 4, 5, 6})
	copy(s.Y, []float64{0.5, 0.25})
	if err := dataset.WriteNPZ(path, s); err != nil {
		log.Fatal(err)
	}
	// In Python: numpy.load(path)["x"] is the 2×3 array of s.X.
	got, err := dataset.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.N(), got.Dims(), got.X, got.Y, got.Arrays() == dataset.WithGamma)
	// Output: 2 3 [1 2 3 4 5 6] [0.5 0.25] true
}

func ExampleCreateNPZ() {
	dir, err := os.MkdirTemp("", "dataset-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "big.npz")

	w, err := dataset.CreateNPZ(path, 1, 0)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort() // removes the temporary files if Close is not reached
	block := dataset.New(1000, 1, 0)
	for b := range 5 { // 5 blocks of 1000 rows: only one block is in memory
		for i := range block.Y {
			block.X[i] = float64(b*1000 + i)
			block.Y[i] = block.X[i] * block.X[i]
			block.DYDX[i] = 2 * block.X[i]
		}
		if err := w.Write(block); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	s, err := dataset.ReadNPZ(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.N(), s.X[4321], s.Y[4321], s.DYDX[4321])
	// Output: 5000 4321 1.8671041e+07 8642
}
