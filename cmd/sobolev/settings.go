package main

import (
	"errors"
	"strings"

	"github.com/sobolev-pruning/sobolev/dataset"
	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/setting"
)

// The settings of pipeline.Config are checked by pipeline's Validate
// methods, for flags as for YAML files; the functions below only name a
// setting by its flag in the messages.

// recipeFlag returns the flag of train and finetune for the key of a
// pipeline.NetConfig or TrainRecipe setting, "" if it has none.
func recipeFlag(key string) string {
	key, _, _ = strings.Cut(key, "[") // hidden[1] is set by --hidden
	switch key {
	case "hidden", "activation":
		return key
	case "epochs", "schedule":
		return key
	case "batch_size":
		return "batch"
	case "lr_max", "lr_min", "hvp_directions", "hvp_kind", "hvp_weight":
		return strings.ReplaceAll(key, "_", "-")
	case "teacher":
		return "teacher-labels"
	}
	return ""
}

// pruneFlag returns the flag of prune for the key of a pipeline.PruneConfig
// setting.
func pruneFlag(key string) string {
	key, _, _ = strings.Cut(key, "[") // keep_per_layer[1] is set by --keep-per-layer
	switch key {
	case "keep", "quota", "criterion", "method", "combine", "boxes", "fold":
		return key
	case "keep_per_layer":
		return "keep-per-layer"
	case "box_radius":
		return "box-radius"
	}
	return ""
}

// dataFlag returns the flag of "data bachelier" for the key of a
// bachelier.DataConfig setting.
func dataFlag(key string) string { return key }

// runFlag returns the flag of run for the key of a pipeline.Config setting.
func runFlag(key string) string {
	switch key {
	case "dims", "baskets", "train", "seed":
		return key
	case "large.epochs", "large_mse.epochs":
		return "epochs"
	case "prune.keep":
		return "keep"
	}
	return ""
}

// flagError returns err with its setting named by its flag: a
// *setting.Error whose key has a flag (flag returns its name without
// dashes, "" for none) reads "--flag value: want …"; other errors, and nil,
// are returned as they are.
func flagError(err error, flag func(key string) string) error {
	var se *setting.Error
	if !errors.As(err, &se) || flag(se.Key) == "" {
		return err
	}
	s := "--" + flag(se.Key) + " " + setting.FormatValue(se.Value) + ": want " + se.Want
	if se.Bound != "" {
		if b := flag(se.Bound); b != "" {
			s += " --" + b + " " + setting.FormatValue(se.BoundValue)
		} else {
			s += " " + se.Bound + " = " + setting.FormatValue(se.BoundValue)
		}
	}
	return errors.New(s)
}

// setMemory returns the memory of the arrays of data, read from path, as an
// estimate with the key "data".
func setMemory(data *dataset.Set, path string) pipeline.MemoryEstimate {
	n := len(data.X) + len(data.Y) + len(data.DYDX) + len(data.Gamma) + len(data.Hessian)
	return pipeline.MemoryEstimate{{What: "its arrays", Key: "data", Value: dataFile(path), Bytes: 8 * float64(n)}}
}

// fromFile returns est with the parts that grow with the samples ("train",
// "test") keyed to the data file path, where the samples come from.
func fromFile(est pipeline.MemoryEstimate, path string) pipeline.MemoryEstimate {
	for i, p := range est {
		if p.Key == "train" || p.Key == "test" {
			est[i].Key, est[i].Value = "data", dataFile(path)
		}
	}
	return est
}
