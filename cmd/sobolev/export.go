package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sobolev-pruning/sobolev/onnx"
)

// exportFlags are the options of "sobolev export".
type exportFlags struct {
	model, out, direction, greeks string
	hessian                       bool
}

func newExportCmd() *cobra.Command {
	f := exportFlags{greeks: "delta,gamma"}
	cmd := &cobra.Command{
		Use:   "export --model MODEL.onnx [--greeks delta,gamma[,hessian]] --out GREEKS.onnx",
		Short: "Write an ONNX model that outputs the greeks: value, deltas and gamma",
		Long: `export reads the ONNX model --model (any MLP "sobolev" reads: its own models and
PyTorch or JAX exports) and writes --out, an ONNX model with one input and three
outputs, all float64 with a dynamic batch:

  x      [batch, n]  raw inputs
  y      [batch, 1]  the raw value, as --model computes it
  dydx   [batch, n]  the deltas ∂y/∂x_j
  gamma  [batch]     vᵀ·H·v, the second derivative along v: with --direction
                     v1,…,vn, or along the all-ones vector (1ᵀH1, a parallel
                     move of all inputs) without it
  hessian [batch, n, n]  with --greeks delta,gamma,hessian, the full
                     Hessian ∂²y/∂x_j∂x_k (n more tangent passes)

The derivatives are exact: the reverse recursion of method.md §3 and its
tangent along v, written as MatMul, Mul and Add nodes of the graph, not finite
differences. Any onnxruntime (Python, C++, C#, JavaScript) then gives a risk
system the greeks without an autodiff stack of its own. "sobolev run" writes
such a file next to every model (models/<stage>.greeks.onnx).

The file appears only when complete.`,
		Example: `  sobolev export --model pruned.onnx --out pruned.greeks.onnx
  sobolev export --model torch.onnx --direction 0.2,0.3,0.5 --out torch.greeks.onnx
  sobolev export --model pruned.onnx --greeks delta,gamma,hessian --out pruned.hessian.onnx`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.model, "model", "", "ONNX model to export (required)")
	fl.StringVar(&f.out, "out", "", "ONNX file to write (required)")
	fl.StringVar(&f.greeks, "greeks", f.greeks, "outputs besides y: delta,gamma (always written) and optionally hessian [batch, n, n]")
	fl.BoolVar(&f.hessian, "hessian", false, "the same as --greeks delta,gamma,hessian")
	if err := fl.MarkDeprecated("hessian", "use --greeks delta,gamma,hessian"); err != nil {
		panic(err)
	}
	fl.StringVar(&f.direction, "direction", "", "direction v of gamma = vᵀ·H·v, comma-separated, one entry per input; empty means all ones")
	for _, name := range []string{"model", "out"} {
		if err := cmd.MarkFlagRequired(name); err != nil {
			panic(err)
		}
	}
	return cmd
}

func runExport(cmd *cobra.Command, f exportFlags) error {
	if err := checkOut(f.out, inputFile{"--model", f.model}); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	hessian, err := parseGreeks(f.greeks)
	if err != nil {
		return fmt.Errorf("export: --greeks %q: %v", f.greeks, err)
	}
	hessian = hessian || f.hessian
	net, err := loadModel("--model", f.model)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	var dir []float64
	if f.direction != "" {
		if dir, err = parseDirection(f.direction, net.Inputs()); err != nil {
			return fmt.Errorf("export: --direction %q: %v", f.direction, err)
		}
	}
	if err := cmd.Context().Err(); err != nil {
		return err
	}
	if err := onnx.SaveGreeks(f.out, net, onnx.GreeksOptions{Direction: dir, Hessian: hessian}); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	along := "the all-ones vector"
	if dir != nil {
		along = "v = " + f.direction
	}
	hess := ""
	if hessian {
		hess = fmt.Sprintf(", hessian (%d × %d)", net.Inputs(), net.Inputs())
	}
	fmt.Fprintf(cmd.OutOrStdout(), "sobolev export: wrote %s: outputs y, dydx (%d deltas) and gamma along %s%s; %s\n",
		f.out, net.Inputs(), along, hess, describe(net))
	return nil
}

// parseGreeks reads the list of --greeks and reports whether it asks for
// the Hessian. The greeks file always outputs the deltas and gamma, so the
// list must name both.
func parseGreeks(s string) (hessian bool, err error) {
	var delta, gamma bool
	for _, g := range strings.Split(s, ",") {
		switch strings.TrimSpace(g) {
		case "delta":
			delta = true
		case "gamma":
			gamma = true
		case "hessian":
			hessian = true
		default:
			return false, fmt.Errorf("%q is not a greek, want delta, gamma or hessian", strings.TrimSpace(g))
		}
	}
	if !delta || !gamma {
		return false, fmt.Errorf("want delta,gamma (the file always outputs both) and optionally hessian")
	}
	return hessian, nil
}

// parseDirection reads n comma-separated numbers (onnx.SaveGreeks refuses
// those that are not finite).
func parseDirection(s string, n int) ([]float64, error) {
	fields := strings.Split(s, ",")
	if len(fields) != n {
		return nil, fmt.Errorf("%d entries for a model of %d inputs, want %d", len(fields), n, n)
	}
	v := make([]float64, n)
	for i, field := range fields {
		x, err := strconv.ParseFloat(strings.TrimSpace(field), 64)
		if err != nil {
			return nil, fmt.Errorf("entry %d is %q, want a number", i+1, field)
		}
		v[i] = x
	}
	return v, nil
}
