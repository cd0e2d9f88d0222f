package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sobolev-pruning/sobolev/internal/memlimit"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/pipeline"
)

// finetuneFlags are the options of "sobolev finetune".
type finetuneFlags struct {
	model, teacher, data, out string
	loss                      mlp.LossKind
	recipe                    pipeline.TrainRecipe
	seed                      uint64
	noProgress                bool
	maxMemory                 memlimit.Size
}

func newFinetuneCmd() *cobra.Command {
	f := finetuneFlags{recipe: pipeline.Default().Finetune, loss: mlp.Sobolev}
	cmd := &cobra.Command{
		Use:   "finetune --model MODEL.onnx [--teacher LARGE.onnx] --data FILE --out TUNED.onnx",
		Short: "Fine-tune a (pruned) MLP with the Sobolev loss, optionally distilling a teacher",
		Long: `finetune continues the training of the ONNX model --model, typically a net made
by "sobolev prune", on the data in --data and saves the result to --out. The
model keeps its normalisation; it is trained by Adam with the Sobolev loss
(value and gradient labels) or plain MSE, with the learning rate going from
--lr-max to --lr-min along --schedule. The defaults are those of the
fine-tuning of "sobolev run".

With --teacher, a larger net with the same inputs (the one that was pruned),
the Sobolev loss also distils it (method.md §4):

  - --teacher-labels replaces the data's value and gradient labels by the
    teacher's, which are free of Monte Carlo noise;
  - --hvp-weight > 0 adds a second-order term: the teacher's Hessian-vector
    products along the all-ones vector and --hvp-directions random (with
    --hvp-kind principal: principal) directions are labels for the model's,
    weighted --hvp-weight times the mean gradient weight.

Without --teacher the labels are the data's and there is no second-order term.
A progress bar (a line per epoch when standard error is not a terminal) shows
the loss; at the end the command prints the final loss, the time and the
training speed. The model file appears only once training is complete: an
interruption (Ctrl-C) leaves no file behind.`,
		Example: `  sobolev finetune --model pruned.onnx --teacher large.onnx --data data/train.npz --out tuned.onnx
  sobolev finetune --model pruned.onnx --teacher large.onnx --teacher-labels --hvp-weight 0.2 --data data/train.npz --out tuned.onnx
  sobolev finetune --model pruned.onnx --data data/train.npz --loss mse --epochs 50 --out tuned-mse.onnx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFinetune(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "ONNX model to fine-tune (required)")
	fl.StringVar(&f.teacher, "teacher", "", "ONNX model whose derivatives serve as labels (the net that was pruned)")
	fl.StringVar(&f.data, "data", "", "training data, .npz or .csv (required)")
	fl.StringVar(&f.out, "out", "", "ONNX file to write (required)")
	addLossFlag(fl, &f.loss)
	addRecipeFlags(cmd, &f.recipe)
	fl.BoolVar(&f.recipe.Teacher, "teacher-labels", f.recipe.Teacher, "use the teacher's value and gradient as labels instead of the data's")
	fl.IntVar(&f.recipe.HVPDirections, "hvp-directions", f.recipe.HVPDirections, "directions of the second-order term, besides the all-ones vector")
	textVar(fl, &f.recipe.HVPKind, "hvp-kind", "directions of the second-order term, random (Gaussian) or principal (the leading\nprincipal directions of the teacher's gradients)")
	fl.Float64Var(&f.recipe.HVPWeight, "hvp-weight", f.recipe.HVPWeight, "weight of the teacher's Hessian-vector products relative to the mean gradient weight; 0 switches them off")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the shuffling and of the random directions")
	fl.BoolVar(&f.noProgress, "no-progress", false, "print neither progress bar nor progress lines")
	addMaxMemoryFlag(cmd, &f.maxMemory)
	for _, name := range []string{"model", "data", "out"} {
		if err := cmd.MarkFlagRequired(name); err != nil {
			panic(err)
		}
	}
	return cmd
}

func runFinetune(cmd *cobra.Command, f finetuneFlags) error {
	loss := f.loss
	if err := flagError(f.recipe.Validate(), recipeFlag); err != nil {
		return fmt.Errorf("finetune: %v", err)
	}
	set := cmd.Flags().Changed
	switch {
	case f.teacher == "" && f.recipe.Teacher:
		return fmt.Errorf("finetune: --teacher-labels needs --teacher, the model whose labels to use")
	case f.teacher != "" && loss != mlp.Sobolev:
		return fmt.Errorf("finetune: --teacher is used by --loss sobolev only, not by --loss %s", f.loss)
	}
	if err := checkOut(f.out, inputFile{"--model", f.model}, inputFile{"--teacher", f.teacher}, inputFile{"--data", f.data}); err != nil {
		return fmt.Errorf("finetune: %w", err)
	}
	net, err := loadModel("--model", f.model)
	if err != nil {
		return fmt.Errorf("finetune: %w", err)
	}
	opts := pipeline.TrainOptions{Recipe: f.recipe, Loss: loss, Seed: f.seed}
	if f.teacher != "" {
		if opts.Teacher, err = loadModel("--teacher", f.teacher); err != nil {
			return fmt.Errorf("finetune: %w", err)
		}
		if opts.Teacher.Inputs() != net.Inputs() {
			return fmt.Errorf("finetune: --teacher %s has %d inputs, but --model %s has %d",
				f.teacher, opts.Teacher.Inputs(), f.model, net.Inputs())
		}
	}
	mem := memoryCheck{name: "finetune", max: f.maxMemory, setting: flagSetting(cmd, map[string]string{
		"data": "data", "batch_size": "batch", "epochs": "epochs", "hvp_directions": "hvp-directions"}, false)}
	if err := mem.check(dataFileMemory(f.data), 0); err != nil {
		return err
	}
	data, err := loadData(cmd, f.data, net, f.model)
	if err != nil {
		return fmt.Errorf("finetune: %w", err)
	}
	if err := checkLabels(f.data, data, loss); err != nil {
		return fmt.Errorf("finetune: %v", err)
	}
	held := setMemory(data, f.data)
	if err := mem.check(append(held, fromFile(pipeline.TrainMemory(net, data.N(), opts), f.data)...), held.Bytes()); err != nil {
		return err
	}
	if opts.Teacher == nil && (set("hvp-weight") || set("hvp-directions")) && f.recipe.HVPWeight > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "sobolev finetune: no --teacher, so no second-order term: --hvp-weight and --hvp-directions have no effect\n")
	}
	return trainAndSave(cmd, "finetune", net, data, opts, f.out, f.noProgress)
}
