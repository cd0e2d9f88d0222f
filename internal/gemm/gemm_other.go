//go:build !amd64 || purego

package gemm

// paths returns the paths this build runs: a Go path only.
func paths() []*kernel { return []*kernel{goPath()} }
