//go:build !amd64

package gemm

import "runtime"

// fmaHardware reports whether math.FMA runs as one instruction: the compiler
// emits one on these architectures and calls a software emulation elsewhere.
func fmaHardware() bool {
	switch runtime.GOARCH {
	case "arm64", "loong64", "ppc64", "ppc64le", "riscv64", "s390x":
		return true
	}
	return false
}
