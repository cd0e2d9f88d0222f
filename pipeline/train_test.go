package pipeline

import (
	"context"
	"testing"

	"github.com/sobolev-pruning/sobolev/bachelier"
	"github.com/sobolev-pruning/sobolev/mlp"
)

// TestTrainModelConstantInput checks that a freshly initialised net is not
// trained on data with a constant input column, whose spread of zero cannot
// be normalised, and that a net that keeps its normalisation is.
func TestTrainModelConstantInput(t *testing.T) {
	m, err := bachelier.New(4, 1)
	if err != nil {
		t.Fatal(err)
	}
	train := m.TrainingSet(64, bachelier.TrainOptions{})
	for r := range train.N() {
		train.X[r*4+2] = 1.5
	}
	net := mlp.New(4, []int{6}, mlp.SiLU)
	net.Init(mlp.XavierUniform, 1)
	recipe := Default().Large.TrainRecipe
	recipe.Epochs = 1
	_, err = TrainModel(context.Background(), net, train, TrainOptions{Recipe: recipe, Loss: mlp.Sobolev, FitNorm: true}, nil)
	want := "x3 is constant (every sample 1.5): its spread is zero, so it cannot be normalised; drop the column or vary it"
	if err == nil || err.Error() != want {
		t.Errorf("training on a constant column: %v, want %q", err, want)
	}
	if _, err := TrainModel(context.Background(), net, train, TrainOptions{Recipe: recipe, Loss: mlp.Sobolev}, nil); err != nil {
		t.Errorf("fine-tuning (normalisation kept) on a constant column: %v, want no error", err)
	}
	if err := checkSpread([]float64{1, 2, 3, 4}, 2); err != nil {
		t.Errorf("two varying columns: %v", err)
	}
	if err := checkSpread([]float64{1, 2}, 2); err == nil {
		t.Error("one sample: no error, want x1 constant")
	}
}

// TestTeacherLabelsShared checks that a student trained with labels made
// once by NewTeacherLabels ends with the same bits as one whose TrainModel
// computes them, for a recipe with teacher labels and HVP directions.
func TestTeacherLabelsShared(t *testing.T) {
	m, err := bachelier.New(3, 2)
	if err != nil {
		t.Fatal(err)
	}
	train := m.TrainingSet(512, bachelier.TrainOptions{Smoothing: 0.01})
	teacher := mlp.New(3, []int{10, 10}, mlp.SiLU)
	teacher.Init(mlp.XavierUniform, 3)
	recipe := Default().Finetune
	recipe.Epochs, recipe.Teacher = 2, true
	var nets [2]*mlp.Network
	for i := range nets {
		nets[i] = mlp.New(3, []int{4}, mlp.SiLU)
		nets[i].Init(mlp.XavierUniform, 4)
		opts := TrainOptions{Recipe: recipe, Loss: mlp.Sobolev, Teacher: teacher, Seed: 5, FitNorm: true, Threads: 1}
		if i == 1 {
			opts.Labels = NewTeacherLabels(teacher, train, recipe, 5)
			if opts.Labels.Y == nil || opts.Labels.HV == nil {
				t.Fatal("NewTeacherLabels left out labels the recipe uses")
			}
		}
		if _, err := TrainModel(context.Background(), nets[i], train, opts, nil); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range nets[0].Params.Flat {
		if q := nets[1].Params.Flat[i]; p != q {
			t.Fatalf("parameter %d: %v with labels computed by TrainModel, %v with shared labels", i, p, q)
		}
	}
}
