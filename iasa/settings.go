package iasa

import "github.com/sobolev-pruning/sobolev/setting"

// Method selects how Analyze encloses the values and adjoints on a box.
type Method int

const (
	// Quadratic carries every value and adjoint as a second-order form in
	// the input symbols ε (constant, linear and quadratic monomials) plus an
	// independent remainder per node. σ and σ′ are expanded to second order
	// around the centre of each pre-activation (or linearly relaxed, if that
	// is tighter, as on wide ranges), and the products σ′(z)·G keep their
	// quadratic part, so on a box of radius δ the remainders are of third
	// order in δ. The Options.Symbols and Options.AdjointSymbols largest
	// remainders per layer and box get noise symbols of their own, which
	// keeps them from compounding through |W| in deep nets. Its forms have
	// 1 + n + n(n+1)/2 columns plus the symbols. The default.
	Quadratic Method = iota
	// Affine carries first-order (affine) forms in ε: σ and σ′ are replaced
	// by linear relaxations, the products keep their linear part, and every
	// error collapses into its node's remainder (unless Options.Symbols
	// gives some of them symbols). Cheapest of the form methods, but on
	// trained deep nets the second-order errors compound through |W| (see
	// the package documentation).
	Affine
	// Zonotope is Affine with an error symbol of its own for every error of
	// every node (full affine arithmetic): correlations between errors are
	// kept too. Its forms grow by one column per hidden node and layer, which
	// makes it many times slower; it is the reference for the others.
	Zonotope
	// Naive is plain interval arithmetic (method.md §5 steps 1–2), which
	// forgets at every product with W that the inputs of a layer move
	// together and therefore over-estimates by about 5× per layer.
	Naive
)

var methodNames = [...]string{Quadratic: "quadratic", Affine: "affine", Zonotope: "zonotope", Naive: "naive"}

// String returns the method's name: "quadratic", "affine", "zonotope" or
// "naive" ("Method(7)" for a value without a name).
func (m Method) String() string { return setting.String("Method", methodNames[:], int(m)) }

// MarshalText returns the method's name; a value without a name is an error.
func (m Method) MarshalText() ([]byte, error) {
	return setting.Marshal("Method", methodNames[:], int(m))
}

// UnmarshalText sets m to the method named text; an unknown name is an
// *setting.NameError listing the valid ones.
func (m *Method) UnmarshalText(text []byte) error {
	return setting.Unmarshal(m, "enclosure method", methodNames[:], text)
}

// Valid reports whether m is one of the named methods.
func (m Method) Valid() bool { return setting.Valid(methodNames[:], int(m)) }

// ParseMethod returns the Method named s ("quadratic", "affine", "zonotope",
// "naive").
func ParseMethod(s string) (Method, error) {
	var m Method
	err := m.UnmarshalText([]byte(s))
	return m, err
}

// Combine says how Analyze merges the significances of one node over the boxes.
type Combine int

const (
	// Max scores a node by its largest significance on any box (the default).
	Max Combine = iota
	// Mean scores a node by its mean significance over the boxes.
	Mean
)

var combineNames = [...]string{Max: "max", Mean: "mean"}

// String returns the combination's name: "max" or "mean".
func (c Combine) String() string { return setting.String("Combine", combineNames[:], int(c)) }

// MarshalText returns the combination's name; a value without a name is an
// error.
func (c Combine) MarshalText() ([]byte, error) {
	return setting.Marshal("Combine", combineNames[:], int(c))
}

// UnmarshalText sets c to the combination named text; an unknown name is an
// *setting.NameError listing the valid ones.
func (c *Combine) UnmarshalText(text []byte) error {
	return setting.Unmarshal(c, "combination", combineNames[:], text)
}

// Valid reports whether c is one of the named combinations.
func (c Combine) Valid() bool { return setting.Valid(combineNames[:], int(c)) }

// ParseCombine returns the Combine named s ("max", "mean").
func ParseCombine(s string) (Combine, error) {
	var c Combine
	err := c.UnmarshalText([]byte(s))
	return c, err
}
