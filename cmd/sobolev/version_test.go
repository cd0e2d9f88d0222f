package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sobolev-pruning/sobolev/mlp"
)

// TestVersion checks that "sobolev --version" and "sobolev version" print
// the same text, naming the Go version and the backends of this binary.
func TestVersion(t *testing.T) {
	flag, _, err := runSobolev(context.Background(), "--version")
	if err != nil {
		t.Fatal(err)
	}
	cmd, _, err := runSobolev(context.Background(), "version")
	if err != nil {
		t.Fatal(err)
	}
	if flag != cmd {
		t.Errorf("--version printed\n%s\nversion printed\n%s", flag, cmd)
	}
	for _, want := range []string{"sobolev ", "module", runtime.Version(), "backends", "revision"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("version output lacks %q:\n%s", want, cmd)
		}
	}
	blas := mlp.BLASBackend()
	if !strings.Contains(cmd, blas) {
		t.Errorf("version output does not name the BLAS %q:\n%s", blas, cmd)
	}
}

// TestVersionStamped checks the text for a binary with VCS information.
func TestVersionStamped(t *testing.T) {
	b := buildInfo{
		Module: "github.com/sobolev-pruning/sobolev", Version: "v1.2.3",
		Revision: "0123456789abcdef", Time: "2026-12-04T10:00:00Z", Modified: true,
		Go: "go1.26.8", Platform: "linux/amd64", Tags: "purego", Exp: "simd",
		BLAS: "Go (internal/gemm)", Eval: "go",
	}
	var sb strings.Builder
	b.write(&sb)
	got := sb.String()
	for _, want := range []string{
		"sobolev v1.2.3\n",
		"revision  0123456789abcdef with uncommitted changes\n",
		"time      2026-12-04T10:00:00Z\n",
		"go        go1.26.8 linux/amd64\n",
		`build     tags "purego", GOEXPERIMENT "simd"`,
		"backends  matrix products Go (internal/gemm), plain-Go evaluation kernel\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("version text lacks %q:\n%s", want, got)
		}
	}
}

// TestVersionBuilt builds the command with VCS stamping and checks that
// --version names the checked-out revision.
func TestVersionBuilt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command")
	}
	rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "sobolev")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "revision  " + strings.TrimSpace(string(rev)); !strings.Contains(string(out), want) {
		t.Errorf("--version of a stamped build lacks %q:\n%s", want, out)
	}
}
