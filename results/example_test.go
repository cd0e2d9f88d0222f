package results_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/sobolev-pruning/sobolev/results"
)

// ExampleRead reads the results.json of a run, prints its table, the
// figures of each delta of the first stage and the nodes IASA kept, and
// decodes one setting of the configuration.
func ExampleRead() {
	r, err := results.Read("testdata/run.json") // normally OUT/results.json
	if err != nil {
		fmt.Println(err)
		return
	}
	results.WriteTable(os.Stdout, r)
	for j, d := range r.Stages[0].Deltas {
		fmt.Printf("delta %d: R² %.4f, RMSE %.4f\n", j+1, d.R2, d.RMSE)
	}
	for _, l := range r.IASA.Layers {
		fmt.Printf("layer %d: kept %v of %d nodes\n", l.Layer, l.Kept, l.Width)
	}
	var cfg struct {
		Seed uint64 `json:"seed"`
	}
	if err := json.Unmarshal(r.Config, &cfg); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("seed", cfg.Seed)
	// Output:
	//           stage  hidden nodes  parameters   R² value  R² delta   R² gamma  seconds
	//   large-sobolev            12         101   0.999625  0.300000  -6.167266      9.8
	//          pruned             3          17  -0.039291       NaN        NaN      1.7
	// delta 1: R² -0.3156, RMSE 0.0290
	// delta 2: R² 1.0000, RMSE 0.0000
	// layer 1: kept [0 3] of 8 nodes
	// layer 2: kept [2] of 4 nodes
	// seed 7
}
