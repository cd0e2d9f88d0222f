package mlp

import "github.com/sobolev-pruning/sobolev/setting"

// The enumerated settings of training. Each has a text form — the names
// below, as YAML and JSON files and command-line flags write them — read by
// UnmarshalText and written by MarshalText and String; an unknown name is an
// error that lists the valid ones.

// Activation names the elementwise nonlinearity σ of the hidden layers.
type Activation int

const (
	// SiLU is σ(z) = z·s(z) with s the logistic sigmoid (the default).
	SiLU Activation = iota
	// Softplus is σ(z) = log(1 + eᶻ).
	Softplus
	// Tanh is σ(z) = tanh(z).
	Tanh
	// ReLU is σ(z) = max(z, 0); its second derivative is taken as 0.
	ReLU
)

var activationNames = [...]string{SiLU: "silu", Softplus: "softplus", Tanh: "tanh", ReLU: "relu"}

// String returns the activation's name: "silu", "softplus", "tanh" or
// "relu" ("Activation(7)" for a value without a name).
func (a Activation) String() string { return setting.String("Activation", activationNames[:], int(a)) }

// MarshalText returns the activation's name; a value without a name is an
// error.
func (a Activation) MarshalText() ([]byte, error) {
	return setting.Marshal("Activation", activationNames[:], int(a))
}

// UnmarshalText sets a to the activation named text; an unknown name is an
// *setting.NameError listing the valid ones.
func (a *Activation) UnmarshalText(text []byte) error {
	return setting.Unmarshal(a, "activation", activationNames[:], text)
}

// ParseActivation returns the Activation named s ("silu", "softplus", "tanh",
// "relu").
func ParseActivation(s string) (Activation, error) {
	var a Activation
	err := a.UnmarshalText([]byte(s))
	return a, err
}

// ScheduleKind names the shape of a learning-rate schedule.
type ScheduleKind int

const (
	// Constant keeps the rate at Max.
	Constant ScheduleKind = iota
	// Cosine decays from Max to Min along half a cosine.
	Cosine
	// Exponential decays geometrically from Max to Min.
	Exponential
	// OneCycle rises from Min to Max along half a cosine over the first
	// Warmup fraction of the steps, then decays back to Min the same way.
	OneCycle
)

var scheduleNames = [...]string{Constant: "constant", Cosine: "cosine", Exponential: "exponential", OneCycle: "onecycle"}

// String returns the schedule's name: "constant", "cosine", "exponential" or
// "onecycle".
func (k ScheduleKind) String() string {
	return setting.String("ScheduleKind", scheduleNames[:], int(k))
}

// MarshalText returns the schedule's name; a value without a name is an
// error.
func (k ScheduleKind) MarshalText() ([]byte, error) {
	return setting.Marshal("ScheduleKind", scheduleNames[:], int(k))
}

// UnmarshalText sets k to the schedule named text; an unknown name is an
// *setting.NameError listing the valid ones.
func (k *ScheduleKind) UnmarshalText(text []byte) error {
	return setting.Unmarshal(k, "learning-rate schedule", scheduleNames[:], text)
}

// ParseScheduleKind returns the ScheduleKind named s ("constant", "cosine",
// "exponential", "onecycle").
func ParseScheduleKind(s string) (ScheduleKind, error) {
	var k ScheduleKind
	err := k.UnmarshalText([]byte(s))
	return k, err
}

// LossKind selects the training loss (method.md §4). It is named like
// ScheduleKind because Loss is the value of a loss, split in its parts.
type LossKind int

const (
	// MSE fits the value labels only.
	MSE LossKind = iota
	// Sobolev fits the value and gradient labels, with the Huge & Savine
	// weights α = 1/(1+n), β = n/(1+n) and λ_j = 1/mean(dydx_n,j²)
	// (FitSobolevWeights).
	Sobolev
)

var lossNames = [...]string{MSE: "mse", Sobolev: "sobolev"}

// String returns the loss's name: "mse" or "sobolev".
func (k LossKind) String() string { return setting.String("LossKind", lossNames[:], int(k)) }

// MarshalText returns the loss's name; a value without a name is an error.
func (k LossKind) MarshalText() ([]byte, error) {
	return setting.Marshal("LossKind", lossNames[:], int(k))
}

// UnmarshalText sets k to the loss named text; an unknown name is an
// *setting.NameError listing the valid ones.
func (k *LossKind) UnmarshalText(text []byte) error {
	return setting.Unmarshal(k, "loss", lossNames[:], text)
}

// HVPDirections chooses the directions v_k along which a teacher's
// Hessian-vector products H·v_k become second-order labels (method.md §4),
// besides the all-ones vector.
type HVPDirections int

const (
	// RandomDirections draws v_k with independent standard normal entries.
	RandomDirections HVPDirections = iota
	// PrincipalDirections takes the leading principal directions of the
	// teacher's gradients over the training inputs, where the function
	// varies most.
	PrincipalDirections
)

var hvpNames = [...]string{RandomDirections: "random", PrincipalDirections: "principal"}

// String returns the directions' name: "random" or "principal".
func (d HVPDirections) String() string { return setting.String("HVPDirections", hvpNames[:], int(d)) }

// MarshalText returns the directions' name; a value without a name is an
// error.
func (d HVPDirections) MarshalText() ([]byte, error) {
	return setting.Marshal("HVPDirections", hvpNames[:], int(d))
}

// UnmarshalText sets d to the directions named text; an unknown name is an
// *setting.NameError listing the valid ones.
func (d *HVPDirections) UnmarshalText(text []byte) error {
	return setting.Unmarshal(d, "HVP directions", hvpNames[:], text)
}

// Valid reports whether a is one of the named activations.
func (a Activation) Valid() bool { return setting.Valid(activationNames[:], int(a)) }

// Valid reports whether k is one of the named schedules.
func (k ScheduleKind) Valid() bool { return setting.Valid(scheduleNames[:], int(k)) }

// Valid reports whether k is one of the named losses.
func (k LossKind) Valid() bool { return setting.Valid(lossNames[:], int(k)) }

// Valid reports whether d is one of the named kinds of directions.
func (d HVPDirections) Valid() bool { return setting.Valid(hvpNames[:], int(d)) }
