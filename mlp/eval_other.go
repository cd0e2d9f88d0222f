//go:build !amd64 || purego

package mlp

// asmKernels returns the assembly kernels this CPU runs: none on this
// architecture or with the purego build tag.
func asmKernels() []*evalKernel { return nil }
