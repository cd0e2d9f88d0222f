package onnx_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
)

func ExampleSave() {
	net := mlp.New(2, []int{3}, mlp.Tanh) // 2 inputs, one hidden layer of width 3
	for i := range net.Params.Flat {
		net.Params.Flat[i] = float64(i) / 10
	}
	net.Norm.XMean = []float64{100, 0.2} // e.g. spot and volatility
	net.Norm.XScale = []float64{20, 0.05}

	dir, err := os.MkdirTemp("", "onnx-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "surrogate.onnx")
	if err := onnx.Save(path, net); err != nil {
		log.Fatal(err)
	}

	back, err := onnx.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.Sizes, back.Act, back.Norm.XMean, back.Norm.XScale)
	fmt.Println("same parameters:", slices.Equal(back.Params.Flat, net.Params.Flat))
	// Output:
	// [2 3 1] tanh [100 0.2] [20 0.05]
	// same parameters: true
}
