// Command sobolev trains neural surrogates of stochastic pricers whose value and
// sensitivities are accurate, prunes them with interval adjoint significance
// analysis (IASA) and fine-tunes them with the Sobolev loss.
//
// Run "sobolev help" for the list of subcommands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "sobolev: interrupted; no partial files were left behind")
			os.Exit(130)
		}
		fmt.Fprintln(os.Stderr, "sobolev:", err)
		os.Exit(1)
	}
}
