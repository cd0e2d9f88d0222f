package mlp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/sobolev-pruning/sobolev/mlp"
)

// sumOfSiLUs returns the network y = SiLU(x₀) + SiLU(x₁): one hidden layer of
// two nodes with identity weights.
func sumOfSiLUs() *mlp.Network {
	net := mlp.New(2, []int{2}, mlp.SiLU)
	copy(net.Params.W[0], []float64{1, 0, 0, 1})
	copy(net.Params.W[1], []float64{1, 1})
	return net
}

func ExampleNetwork_InputGradient() {
	net := sumOfSiLUs()
	// ∂y/∂x_j = SiLU′(x_j) = s(x_j)(1 + x_j(1 − s(x_j))); SiLU′(0) = 1/2.
	fmt.Printf("%.6f\n", net.InputGradient(nil, []float64{0, 1}))
	// Output: [0.500000 0.927671]
}

func ExampleNetwork_HessVec() {
	net := sumOfSiLUs()
	// H = diag(SiLU″(x_j)), SiLU″(0) = 1/2, so H·v = v/2 at the origin.
	fmt.Printf("%.6f\n", net.HessVec(nil, []float64{0, 0}, []float64{1, -4}))
	// Output: [0.500000 -2.000000]
}

func ExampleNetwork_Gamma() {
	net := sumOfSiLUs()
	// 1ᵀH1 = SiLU″(0) + SiLU″(0) = 1. In raw units with XScale = 2 each
	// entry of H is divided by 4, and with YScale = 10 multiplied by 10.
	fmt.Printf("%.6f\n", net.Gamma([]float64{0, 0}))
	net.Norm.XScale[0], net.Norm.XScale[1], net.Norm.YScale = 2, 2, 10
	fmt.Printf("%.6f\n", net.Gamma([]float64{0, 0}))
	// Output:
	// 1.000000
	// 2.500000
}

func ExampleActivation_Eval() {
	for _, z := range []float64{0, 1, math.Inf(-1)} {
		f, d1, d2, d3 := mlp.SiLU.Eval(z)
		fmt.Printf("SiLU(%v) = %.6f, σ′ = %.6f, σ″ = %.6f, σ‴ = %.6f\n", z, f, d1, d2, d3)
	}
	// Output:
	// SiLU(0) = 0.000000, σ′ = 0.500000, σ″ = 0.500000, σ‴ = 0.000000
	// SiLU(1) = 0.731059, σ′ = 0.927671, σ″ = 0.302366, σ‴ = -0.307899
	// SiLU(-Inf) = -0.000000, σ′ = 0.000000, σ″ = 0.000000, σ‴ = 0.000000
}

func ExampleNetwork_SobolevLoss() {
	net := sumOfSiLUs()
	// One sample at the origin: ŷ = 0 and ∇ŷ = (1/2, 1/2), against labels
	// y = 1 and ∇y = (1/2, 3/2).
	bt := mlp.Batch{X: []float64{0, 0}, Y: []float64{1}, DYDX: []float64{0.5, 1.5}}
	ws := mlp.NewWorkspace(net, 1, 0, 1)
	grad := make([]float64, net.NumParams())
	loss := net.SobolevLoss(grad, ws, bt, mlp.SobolevWeights(2))
	// Value = 1, Grad = mean_j (∂ŷ/∂x_j − dydx_j)² = 1/2, Total = 1/3 + 2/3·1/2.
	fmt.Printf("value %.4f, gradient %.4f, total %.4f\n", loss.Value, loss.Grad, loss.Total)
	// ∂L/∂b_out = 2α(ŷ − y) = −2/3.
	fmt.Printf("%.4f\n", grad[len(grad)-1])
	// Output:
	// value 1.0000, gradient 0.5000, total 0.6667
	// -0.6667
}

func ExampleTrain() {
	// Learn f(x) = x₀·x₁ on [−1, 1]² from 256 samples of its value and
	// gradient.
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 256
	data := mlp.TrainData{X: make([]float64, 2*n), Y: make([]float64, n), DYDX: make([]float64, 2*n)}
	for i := range n {
		x0, x1 := 2*rng.Float64()-1, 2*rng.Float64()-1
		data.X[2*i], data.X[2*i+1] = x0, x1
		data.Y[i] = x0 * x1
		data.DYDX[2*i], data.DYDX[2*i+1] = x1, x0
	}
	net := mlp.New(2, []int{16, 16}, mlp.SiLU)
	net.Init(mlp.XavierUniform, 1)
	norm, err := mlp.FitNormalization(data.X, data.Y, 2)
	if err != nil {
		panic(err)
	}
	net.Norm = norm
	cfg := mlp.TrainConfig{
		Epochs: 200, BatchSize: 32, Seed: 1, ValFraction: 0.25, RestoreBest: true,
		LR: mlp.Schedule{Kind: mlp.Cosine, Max: 1e-2, Min: 1e-4},
	}
	hist, err := mlp.Train(context.Background(), net, data, cfg, nil)
	if err != nil {
		panic(err)
	}
	first, best := hist.Epochs[0].Val.Total, hist.Epochs[hist.Best].Val.Total
	fmt.Println("validation loss fell 1000-fold:", best < first/1000)
	// ∇f(0.5, −0.5) = (−0.5, 0.5).
	fmt.Printf("%.2f\n", net.InputGradient(nil, []float64{0.5, -0.5}))
	// Output:
	// validation loss fell 1000-fold: true
	// [-0.50 0.50]
}

func ExampleNetwork_TraceReverse() {
	net := sumOfSiLUs()
	// Two points, traced in one batch. Hidden layer 1 is a_1 = SiLU(x), its
	// adjoint g_1 = W_outᵀ = (1, 1), and g_0 = ∇y = SiLU′(x) elementwise.
	tr := mlp.NewTrace(net, 2)
	net.TraceForward(tr, []float64{0, 1, -1, 2})
	net.TraceReverse(tr)
	fmt.Printf("a_1 %.6f\n", tr.A[1])
	fmt.Printf("g_1 %.6f\n", tr.G[1])
	fmt.Printf("g_0 %.6f\n", tr.G[0])
	// Output:
	// a_1 [0.000000 0.731059 -0.268941 1.761594]
	// g_1 [1.000000 1.000000 1.000000 1.000000]
	// g_0 [0.500000 0.927671 0.072329 1.090784]
}

// The training settings read and write their names, so a JSON or YAML file
// (or a command-line flag) gives them by name; an unknown name lists the
// valid ones.
func ExampleActivation_UnmarshalText() {
	var cfg struct {
		Activation mlp.Activation    `json:"activation"`
		Loss       mlp.LossKind      `json:"loss"`
		Schedule   mlp.ScheduleKind  `json:"schedule"`
		HVPKind    mlp.HVPDirections `json:"hvp_kind"`
	}
	err := json.Unmarshal([]byte(`{"activation": "tanh", "loss": "mse", "schedule": "onecycle", "hvp_kind": "principal"}`), &cfg)
	fmt.Println(cfg.Activation, cfg.Loss, cfg.Schedule, cfg.HVPKind, err)
	fmt.Println(json.Unmarshal([]byte(`{"activation": "gelu"}`), &cfg))
	fmt.Println(mlp.Activation(7))
	// Output:
	// tanh mse onecycle principal <nil>
	// unknown activation "gelu": want silu, softplus, tanh or relu
	// Activation(7)
}
