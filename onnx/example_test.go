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

// SaveGreeks writes a model whose outputs are the value, the deltas and gamma
// (here along the first input only, so gamma = ∂²y/∂x₀²), and the full
// Hessian; sobolev computes the same greeks in memory.
func ExampleSaveGreeks() {
	net := mlp.New(2, []int{3}, mlp.SiLU)
	for i := range net.Params.Flat {
		net.Params.Flat[i] = float64(i%5)/10 - 0.2
	}
	dir, err := os.MkdirTemp("", "sobolev-greeks-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.greeks.onnx")
	opts := onnx.GreeksOptions{Direction: []float64{1, 0}, Hessian: true}
	if err := onnx.SaveGreeks(path, net, opts); err != nil {
		log.Fatal(err)
	}
	// What onnxruntime returns for x = (0.5, −1): y, dydx, gamma and hessian
	// equal these.
	x := []float64{0.5, -1}
	H := net.Hessian(nil, x)
	fmt.Printf("y %.6f, dydx %.6f, gamma %.6f = H[0][0] %.6f\n",
		net.Value(x), net.InputGradient(nil, x), net.HessVec(nil, x, opts.Direction)[0], H.At(0, 0))
	// Output:
	// y -0.023948, dydx [-0.031899 -0.004107], gamma 0.002134 = H[0][0] 0.002134
}
