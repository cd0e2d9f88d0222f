//go:build openblas

package mlp

// The openblas build routes gonum's BLAS (and so every GEMM of the batched
// kernels, and of any other gonum user in the process) to the system OpenBLAS
// through cgo. It needs a C compiler and libopenblas (Debian:
// libopenblas-dev).

// #cgo LDFLAGS: -lopenblas
// void openblas_set_num_threads(int num_threads);
import "C"

import (
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// init routes gonum's BLAS to OpenBLAS and switches OpenBLAS's own threading
// off: a Workspace's parts are the only parallelism, so results depend on its
// thread count alone, and concurrent parts do not compete for OpenBLAS's
// thread pool.
func init() {
	C.openblas_set_num_threads(1)
	blas64.Use(netlib.Implementation{})
}

// BLASBackend returns the name of the BLAS implementation the batched kernels
// run on: "gonum (pure Go)" in the default build, "OpenBLAS" in builds with
// the openblas tag.
func BLASBackend() string { return "OpenBLAS" }

// smallGemm is 0: OpenBLAS is fast on products of every size, so gemm always
// calls it.
const smallGemm = 0
