package bachelier

import (
	"encoding/json"
	"io"

	"github.com/sobolev-pruning/sobolev/internal/atomicfile"
)

// Spec is the description of a generated data set written as spec.json next
// to train.npz and test.npz: the model (with the extra baskets of a
// portfolio, key "extra_baskets", absent for one basket), the test box and
// the options the samples were drawn with.
type Spec struct {
	// Pricer names the reference model, "bachelier".
	Pricer string `json:"model"`
	// N is the number of assets.
	N int `json:"n"`
	*Model
	// TestBox is [lo, hi], the interval every test spot is drawn from.
	TestBox [2]float64 `json:"test_box"`
	// Smoothing is the payoff smoothing width of the training labels, 0 for none.
	Smoothing float64 `json:"smoothing"`
	// Train and Test are the numbers of training samples and test points.
	Train int `json:"train_samples"`
	Test  int `json:"test_points"`
	// TrainArrays and TestArrays name the arrays of train.npz and test.npz.
	TrainArrays []string `json:"train_arrays"`
	TestArrays  []string `json:"test_arrays"`
}

// Spec returns the description of data sets of train training samples drawn
// with opts and test test points (with Hessians if testHessian).
func (m *Model) Spec(train, test int, opts TrainOptions, testHessian bool) Spec {
	lo, hi := m.TestBox()
	return Spec{
		Pricer:      "bachelier",
		N:           m.Dims(),
		Model:       m,
		TestBox:     [2]float64{lo, hi},
		Smoothing:   opts.Smoothing,
		Train:       train,
		Test:        test,
		TrainArrays: m.TrainingSampler(opts).Arrays().Names(),
		TestArrays:  m.TestSampler(testHessian).Arrays().Names(),
	}
}

// Write writes s as indented JSON to path (spec.json), atomically.
func (s Spec) Write(path string) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	})
}
