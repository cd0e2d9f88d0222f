// Command sobolev trains neural surrogates of stochastic pricers whose value and
// sensitivities are accurate, prunes them with interval adjoint significance
// analysis (IASA) and fine-tunes them with the Sobolev loss.
//
// Run "sobolev help" for the list of subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// SIGINT (Ctrl-C), SIGTERM and SIGHUP (a closed terminal) cancel the
// command's context: every command then stops within a second, removes its
// temporary files and folders, and sobolev exits with 128 + the signal's
// number (130, 143, 129), as a shell reports a process the signal killed. A
// second signal ends sobolev at once, with the same status.
func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		first := interrupted{(<-sigs).(syscall.Signal)}
		cancel(first)
		again := interrupted{(<-sigs).(syscall.Signal)}
		fmt.Fprintf(os.Stderr, "sobolev: %s while stopping after %s; stopped at once, temporary files may be left behind\n", again, first)
		os.Exit(again.status())
	}()
	err := newRootCmd().ExecuteContext(ctx)
	var sig interrupted
	if err != nil && errors.As(context.Cause(ctx), &sig) {
		fmt.Fprintf(os.Stderr, "sobolev: interrupted (%s); no partial files were left behind\n", sig)
		os.Exit(sig.status())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sobolev:", err)
		os.Exit(1)
	}
}

// interrupted is the cause of the cancellation of the command's context by
// a signal.
type interrupted struct{ sig syscall.Signal }

func (e interrupted) Error() string {
	switch e.sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return e.sig.String()
}

// status returns the exit status after the signal: 128 + its number.
func (e interrupted) status() int { return 128 + int(e.sig) }
