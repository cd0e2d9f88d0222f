package prune

import "github.com/sobolev-pruning/sobolev/setting"

// The enumerated settings of a pruning. Each has a text form — the names
// below, as YAML and JSON files and command-line flags write them — read by
// UnmarshalText and written by MarshalText and String; an unknown name is an
// error that lists the valid ones.

// Criterion names how the hidden nodes are scored before Select keeps the
// best (method.md §5 and §7).
type Criterion int

const (
	// ByIASA scores a node by width(value interval) × max|adjoint interval|
	// over small boxes, combined over the boxes (package iasa; method.md §5).
	ByIASA Criterion = iota
	// ByMagnitude scores a node by the ℓ1 norms of its incoming and
	// outgoing weights (Magnitude).
	ByMagnitude
	// ByRandom scores the nodes at random (Random), the baseline.
	ByRandom
	// ByTaylor scores a node by the mean first-order change of the
	// output when it is replaced by its data mean (Taylor).
	ByTaylor
	// ByIASAPlain is ByIASA with plain interval enclosures (iasa.Naive),
	// the paper's own method, whatever enclosure method is configured.
	ByIASAPlain
	// ByOBD scores a node by the Optimal Brain Damage saliency of
	// replacing it by its data mean (OBD).
	ByOBD
	// BySobolevTaylor scores a node by the first-order change of the
	// Sobolev training loss when it is replaced by its data mean
	// (SobolevTaylor); it needs the value and gradient labels.
	BySobolevTaylor
)

var criterionNames = [...]string{ByIASA: "iasa", ByMagnitude: "magnitude", ByRandom: "random", ByTaylor: "taylor",
	ByIASAPlain: "iasa-plain", ByOBD: "obd", BySobolevTaylor: "sobolev-taylor"}

// String returns the criterion's name: "iasa", "magnitude", "random",
// "taylor", "iasa-plain", "obd" or "sobolev-taylor" ("Criterion(9)" for a
// value without a name).
func (c Criterion) String() string { return setting.String("Criterion", criterionNames[:], int(c)) }

// MarshalText returns the criterion's name; a value without a name is an
// error.
func (c Criterion) MarshalText() ([]byte, error) {
	return setting.Marshal("Criterion", criterionNames[:], int(c))
}

// UnmarshalText sets c to the criterion named text; an unknown name is an
// *setting.NameError listing the valid ones.
func (c *Criterion) UnmarshalText(text []byte) error {
	return setting.Unmarshal(c, "criterion", criterionNames[:], text)
}

// Valid reports whether c is one of the named criteria.
func (c Criterion) Valid() bool { return setting.Valid(criterionNames[:], int(c)) }

// IASA reports whether c scores by IASA significance (ByIASA or
// ByIASAPlain), the criteria that enclose every node's values on boxes.
func (c Criterion) IASA() bool { return c == ByIASA || c == ByIASAPlain }

// Fold names the constant that replaces the output of a removed node before
// it is folded into the next layer's bias (Apply; method.md §5 step 4).
type Fold int

const (
	// FoldMean uses the node's mean activation over the training data
	// (MeanActivations).
	FoldMean Fold = iota
	// FoldMidpoint uses the midpoint of the node's value enclosure
	// (Midpoints).
	FoldMidpoint
	// FoldZero deletes the node (the constant 0).
	FoldZero
)

var foldNames = [...]string{FoldMean: "mean", FoldMidpoint: "midpoint", FoldZero: "zero"}

// String returns the fold's name: "mean", "midpoint" or "zero".
func (f Fold) String() string { return setting.String("Fold", foldNames[:], int(f)) }

// MarshalText returns the fold's name; a value without a name is an error.
func (f Fold) MarshalText() ([]byte, error) { return setting.Marshal("Fold", foldNames[:], int(f)) }

// UnmarshalText sets f to the fold named text; an unknown name is an
// *setting.NameError listing the valid ones.
func (f *Fold) UnmarshalText(text []byte) error {
	return setting.Unmarshal(f, "fold", foldNames[:], text)
}

// Valid reports whether f is one of the named folds.
func (f Fold) Valid() bool { return setting.Valid(foldNames[:], int(f)) }

// Quota names how a Budget's nodes are shared among the hidden layers.
type Quota int

const (
	// QuotaGlobal keeps the Budget.Total nodes of highest score over all
	// layers together, but at least the best node of every layer (the
	// authors' ranking, method.md §5 step 4).
	QuotaGlobal Quota = iota
	// QuotaPerLayer keeps Budget.PerLayer[l] nodes of hidden layer l+1, the
	// best of that layer.
	QuotaPerLayer
	// QuotaEven splits Budget.Total as evenly as possible over the hidden
	// layers (the first layers take the remainder, no layer more than its
	// width) and keeps the best nodes within each layer.
	QuotaEven
)

var quotaNames = [...]string{QuotaGlobal: "global", QuotaPerLayer: "per-layer", QuotaEven: "even"}

// String returns the quota's name: "global", "per-layer" or "even".
func (q Quota) String() string { return setting.String("Quota", quotaNames[:], int(q)) }

// MarshalText returns the quota's name; a value without a name is an error.
func (q Quota) MarshalText() ([]byte, error) { return setting.Marshal("Quota", quotaNames[:], int(q)) }

// UnmarshalText sets q to the quota named text; an unknown name is an
// *setting.NameError listing the valid ones.
func (q *Quota) UnmarshalText(text []byte) error {
	return setting.Unmarshal(q, "quota", quotaNames[:], text)
}

// Valid reports whether q is one of the named quotas.
func (q Quota) Valid() bool { return setting.Valid(quotaNames[:], int(q)) }
