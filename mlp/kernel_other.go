//go:build !amd64 || purego

package mlp

// asmTrainKernels returns the assembly training kernels this CPU runs: none
// on this architecture or with the purego build tag.
func asmTrainKernels() []*trainKernels { return nil }
