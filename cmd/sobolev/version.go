package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/sobolev-pruning/sobolev/mlp"
)

// buildInfo describes the binary that is running: its module version and
// source revision, the Go toolchain that built it and the numerical backends
// compiled into it.
type buildInfo struct {
	Module   string // main module path
	Version  string // module version, "(devel)" for a build from a checkout
	Revision string // VCS revision, "" when the build was not stamped
	Time     string // commit time of Revision, RFC 3339
	Modified bool   // the work tree had uncommitted changes
	Go       string // Go toolchain version
	Platform string // GOOS/GOARCH
	Tags     string // build tags, e.g. "purego"
	Exp      string // GOEXPERIMENT, e.g. "simd"
	BLAS     string // BLAS behind the batched kernels (mlp.BLASBackend)
	Eval     string // evaluation kernel chosen on this CPU (mlp.EvalKernel)
}

// readBuildInfo reads the build information the Go linker embedded in the
// binary (runtime/debug.ReadBuildInfo).
func readBuildInfo() buildInfo {
	b := buildInfo{
		Go:       runtime.Version(),
		Platform: runtime.GOOS + "/" + runtime.GOARCH,
		BLAS:     mlp.BLASBackend(),
		Eval:     mlp.EvalKernel(),
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module, b.Version, b.Go = bi.Main.Path, bi.Main.Version, bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		case "-tags":
			b.Tags = s.Value
		case "GOEXPERIMENT":
			b.Exp = s.Value
		}
	}
	return b
}

// backends says in words which numerical kernels the binary runs on this
// CPU: the matrix products of training (mlp.BLASBackend) and the evaluation
// kernel (mlp.EvalKernel).
func (b buildInfo) backends() string {
	eval := "plain-Go evaluation kernel"
	if b.Eval != "go" {
		eval = "evaluation kernel " + b.Eval + " (Go assembly)"
	}
	return "matrix products " + b.BLAS + ", " + eval
}

// write prints b as the text of "sobolev --version".
func (b buildInfo) write(w io.Writer) {
	orUnknown := func(s, why string) string {
		if s == "" {
			return "unknown (" + why + ")"
		}
		return s
	}
	unstamped := "not stamped: built by go run, go test or with -buildvcs=false"
	rev := orUnknown(b.Revision, unstamped)
	if b.Modified {
		rev += " with uncommitted changes"
	}
	fmt.Fprintf(w, "sobolev %s\n", orUnknown(b.Version, "no build information"))
	fmt.Fprintf(w, "  module    %s\n", orUnknown(b.Module, "no build information"))
	fmt.Fprintf(w, "  revision  %s\n", rev)
	fmt.Fprintf(w, "  time      %s\n", orUnknown(b.Time, unstamped))
	fmt.Fprintf(w, "  go        %s %s\n", b.Go, b.Platform)
	if b.Tags != "" || b.Exp != "" {
		fmt.Fprintf(w, "  build     tags %q, GOEXPERIMENT %q\n", b.Tags, b.Exp)
	}
	fmt.Fprintf(w, "  backends  %s\n", b.backends())
}

// newVersionCmd returns the "version" command, which prints the same text as
// "sobolev --version".
func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, source revision, Go version and backends of this binary",
		Long: `version prints the module version and source revision (VCS revision, commit
time and whether the tree had uncommitted changes) of this binary, the Go
toolchain that built it, and its numerical kernels on this CPU: the matrix
products of training and the evaluation kernel (Go assembly for AVX-512 or
AVX2+FMA, or plain Go on other CPUs and with -tags purego).
"sobolev --version" prints the same.`,
		Example: `  sobolev version
  go build ./cmd/sobolev && ./sobolev --version`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			readBuildInfo().write(cmd.OutOrStdout())
			return nil
		},
	}
}
