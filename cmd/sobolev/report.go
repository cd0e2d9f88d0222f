package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sobolev-pruning/sobolev/report"
)

// newReportCmd returns the "report" command, which writes the web page of a
// run's results.
func newReportCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "report OUT",
		Short: "Write a web page of a run's results (OUT/report/index.html)",
		Long: `report reads the output directory OUT of "sobolev run" (results.json, the
models, data/test.npz and data/spec.json) and writes OUT/report/index.html, one
file with its plots embedded:

  - the configuration of the run and the kernels that ran;
  - the results table: R² of value, deltas and gamma (1ᵀH1) of every stage,
    with the best of each column highlighted;
  - each stage's price, delta₁ and gamma against the basket B = w·S of the
    test points, exact and predicted;
  - the training curves, and the IASA significance, kept nodes and interval
    over-estimation per layer.

The page is self-contained (no scripts, no network, no other files), so it
opens from the file system in any browser and can be mailed as it is. An
earlier index.html is replaced; the new one appears only when complete, and an
interruption (Ctrl-C) leaves OUT as it was. Other files in OUT/report are left
alone. The command prints the page's path.`,
		Example: `  sobolev run --out runs/default
  sobolev report runs/default
  xdg-open "$(sobolev report runs/default)"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return errors.New(`report: name one output directory of "sobolev run", e.g. "sobolev report runs/default"`)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := report.Write(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), report.IndexPath(args[0]))
			return nil
		},
	}
}
