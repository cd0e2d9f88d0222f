package pipeline_test

import (
	"context"
	"fmt"
	"os"

	"github.com/sobolev-pruning/sobolev/pipeline"
)

// ExampleRun runs a very small version of the experiment and prints the
// stages it made with their sizes.
func ExampleRun() {
	cfg := pipeline.Quick()
	cfg.Dims, cfg.Train, cfg.Test = 2, 256, 64
	cfg.Large.Hidden, cfg.Large.Epochs, cfg.LargeMSE.Epochs = []int{16, 16}, 2, 2
	cfg.Prune.Keep, cfg.Prune.Boxes = 4, 4
	cfg.Finetune.Epochs = 2
	cfg.Scratch = []int{2, 2}
	out, err := os.MkdirTemp("", "sobolev-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(out)
	res, err := pipeline.Run(context.Background(), cfg, out, pipeline.Hooks{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range res.Stages {
		fmt.Printf("%s: %d hidden nodes, %d parameters\n", s.Stage, s.HiddenNodes, s.Parameters)
	}
	// Output:
	// large-mse: 32 hidden nodes, 337 parameters
	// large-sobolev: 32 hidden nodes, 337 parameters
	// pruned: 4 hidden nodes, 15 parameters
	// pruned-mse-ft: 4 hidden nodes, 15 parameters
	// pruned-sobolev-ft: 4 hidden nodes, 15 parameters
	// scratch-sobolev: 4 hidden nodes, 15 parameters
}
