package main

import (
	"strings"

	"github.com/spf13/cobra"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "sobolev",
		Short: "Small, fast neural surrogates of pricers with accurate greeks",
		Long: `sobolev turns an expensive stochastic pricer into a small, fast neural surrogate
whose value, deltas and gammas are accurate: it simulates training data with
pathwise derivative labels, trains a large MLP with the Sobolev loss, prunes it
with interval adjoint significance analysis (IASA) and fine-tunes the pruned net.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(flagErrorFunc)
	root.AddCommand(newRunCmd())
	root.AddCommand(newDataCmd())
	root.AddCommand(newReportCmd())
	root.AddCommand(newTrainCmd())
	root.AddCommand(newPruneCmd())
	root.AddCommand(newFinetuneCmd())
	root.AddCommand(newEvalCmd())
	root.AddCommand(newExportCmd())
	root.AddCommand(newBoundCmd())
	root.AddCommand(newStudyCmd())
	root.AddCommand(newVersionCmd())
	// --version prints what "sobolev version" prints; the text has no
	// template actions, so cobra prints it as it is.
	var version strings.Builder
	readBuildInfo().write(&version)
	root.Version = "set" // any non-empty value makes cobra add --version
	root.SetVersionTemplate(version.String())
	return root
}
