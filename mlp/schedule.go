package mlp

import (
	"fmt"
	"math"
)

// Schedule is a learning-rate schedule over the optimiser steps of a run.
type Schedule struct {
	Kind ScheduleKind
	// Max and Min are the largest and the smallest rate (Constant uses Max).
	Max, Min float64
	// Warmup is OneCycle's rising fraction of the steps, in (0, 1); 0 means 0.3.
	Warmup float64
}

// defaultWarmup is the rising fraction of a OneCycle schedule whose Warmup is
// 0, as PyTorch's OneCycleLR.
const defaultWarmup = 0.3

// Validate returns an error unless 0 ≤ Min ≤ Max, Max > 0, both finite, Min > 0
// for Exponential, 0 ≤ Warmup < 1, and Kind is declared.
func (s Schedule) Validate() error {
	switch {
	case s.Kind < Constant || s.Kind > OneCycle:
		return fmt.Errorf("mlp: unknown learning-rate schedule %v", s.Kind)
	case !(s.Max > 0) || math.IsInf(s.Max, 0):
		return fmt.Errorf("mlp: learning rate Max = %v, want finite and > 0", s.Max)
	case s.Kind != Constant && !(s.Min >= 0 && s.Min <= s.Max):
		return fmt.Errorf("mlp: learning rate Min = %v, want in [0, Max = %v]", s.Min, s.Max)
	case s.Kind == Exponential && s.Min == 0:
		return fmt.Errorf("mlp: exponential learning-rate schedule needs Min > 0")
	case !(s.Warmup >= 0 && s.Warmup < 1):
		return fmt.Errorf("mlp: learning-rate warm-up fraction %v, want in [0, 1)", s.Warmup)
	}
	return nil
}

// Rate returns the learning rate of step (0-based) of a run of steps
// optimiser steps. With f = step/(steps−1) (0 if steps ≤ 1), clamped to
// [0, 1], and c(u) = (1 + cos πu)/2 falling from 1 to 0:
//
//	Constant:     Max
//	Cosine:       Min + (Max−Min)·c(f)
//	Exponential:  Max·(Min/Max)^f
//	OneCycle:     Min + (Max−Min)·(1 − c(f/w)) for f < w, else Min + (Max−Min)·c((f−w)/(1−w))
//
// so the first step has rate Max (OneCycle: Min) and the last Min
// (Constant: Max).
func (s Schedule) Rate(step, steps int) float64 {
	f := 0.0
	if steps > 1 {
		f = min(max(float64(step)/float64(steps-1), 0), 1)
	}
	c := func(u float64) float64 { return (1 + math.Cos(math.Pi*u)) / 2 }
	switch s.Kind {
	case Cosine:
		return s.Min + (s.Max-s.Min)*c(f)
	case Exponential:
		return s.Max * math.Pow(s.Min/s.Max, f)
	case OneCycle:
		w := s.Warmup
		if w == 0 {
			w = defaultWarmup
		}
		if f < w {
			return s.Min + (s.Max-s.Min)*(1-c(f/w))
		}
		return s.Min + (s.Max-s.Min)*c((f-w)/(1-w))
	}
	return s.Max
}
