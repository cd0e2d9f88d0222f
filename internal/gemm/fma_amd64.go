package gemm

import "golang.org/x/sys/cpu"

// fmaHardware reports whether math.FMA runs as one instruction.
func fmaHardware() bool { return cpu.X86.HasFMA }
