//go:build !amd64 || purego

package gemm

// paths returns the paths this build runs: the Go path only.
func paths() []*kernel { return []*kernel{goKernel} }
