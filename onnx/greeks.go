package onnx

import (
	"fmt"
	"io"

	"google.golang.org/protobuf/proto"

	"github.com/sobolev-pruning/sobolev/internal/atomicfile"
	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// SaveGreeks writes to path, atomically as Save does, an ONNX model of net
// that outputs its greeks besides its value, so that a risk system in any
// language gets the exact derivatives from onnxruntime:
//
//	y        [batch, 1]     the raw value, as the model Save writes
//	dydx     [batch, n]     the deltas ∂y/∂x_j, raw units
//	gamma    [batch]        vᵀ·H·v, H = ∂²y/∂x², raw units
//	hessian  [batch, n, n]  H, with opts.Hessian
//
// with v = opts.Direction, or the all-ones vector if it is nil (then gamma =
// 1ᵀH1, the second derivative along a parallel move of all inputs). The
// derivatives are those of method.md §3 written as graph nodes — the reverse recursion
// g_{k−1} = (g_k ⊙ σ′(z_k))·W_k for the deltas, its tangent along v for H·v —
// not finite differences; every value is float64 and the batch is dynamic
// (opset 17).
//
// SaveGreeks returns an error, and writes nothing, if net.Validate fails,
// net.Act is not one of the Activation constants, or opts.Direction does not
// have one finite entry per input.
func SaveGreeks(path string, net *mlp.Network, opts GreeksOptions) error {
	data, err := marshalGreeks(net, opts)
	if err != nil {
		return fmt.Errorf("onnx: %s: %w", path, err)
	}
	if err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}); err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	return nil
}

// WriteGreeks writes to w the model SaveGreeks puts in a file.
func WriteGreeks(w io.Writer, net *mlp.Network, opts GreeksOptions) error {
	data, err := marshalGreeks(net, opts)
	if err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("onnx: %w", err)
	}
	return nil
}

// GreeksOptions says what SaveGreeks writes besides y, dydx and gamma.
type GreeksOptions struct {
	// Direction is the v of gamma = vᵀ·H·v, one entry per input (raw
	// units); nil means the all-ones vector.
	Direction []float64
	// Hessian adds the output hessian [batch, n, n], the full Hessian in
	// raw units: the tangent pass repeated along every input.
	Hessian bool
}

// marshalGreeks returns the serialised greeks model of net.
func marshalGreeks(net *mlp.Network, opts GreeksOptions) ([]byte, error) {
	if err := checkNet(net); err != nil { // the checks of Save
		return nil, err
	}
	dir, err := mlp.GammaDirection(opts.Direction, net.Inputs())
	if err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(greeksModel(net, dir, opts.Hessian))
}

// greeksModel returns the graph of forwardGraph with the reverse pass of the
// deltas and its tangent along dir (method.md §3) in normalised units, then
// scaled to raw units:
//
//	g_L = W_out,  δ_k = g_k ⊙ σ′(z_k),  g_{k−1} = δ_k·W_k,  dydx = δ_1·(W_1 ⊙ y_scale/x_scale)
//	ż_1 = W_1·v_n,  ż_{k+1} = (σ′(z_k) ⊙ ż_k)·W_{k+1}ᵀ,  v_n = v/x_scale
//	δ̇_k = ġ_k ⊙ σ′(z_k) + g_k ⊙ σ″(z_k) ⊙ ż_k,  ġ_L = 0,  ġ_{k−1} = δ̇_k·W_k
//	gamma = (δ̇_1·W_1)·(y_scale·v_n)
//
// With hessian, the tangent is repeated along every unit vector e_k, and
// row k of the output hessian is δ̇_1^(k)·(W_1 ⊙ y_scale/x_scale).
func greeksModel(net *mlp.Network, dir []float64, hessian bool) *onnxpb.ModelProto {
	n, L := net.Inputs(), net.Layers()
	g := forwardGraph(net)
	g.Name = proto.String("sobolev_mlp_greeks")
	g.Output = append(g.Output,
		batchMatrix("dydx", n, "raw deltas ∂y/∂x_j, one row per sample"),
		batchTensor("gamma", fmt.Sprintf("raw vᵀ·H·v along v = %v, one per sample", dir)))
	if hessian {
		g.Output = append(g.Output, batchTensor("hessian", "raw Hessian ∂²y/∂x_j∂x_k, one n × n matrix per sample", n, n))
	}
	add := func(name, op, doc, out string, in ...string) { addNode(g, name, op, doc, out, in...) }

	vn := make([]float64, n)     // v_n = v/x_scale
	gScale := make([]float64, n) // y_scale/x_scale_j
	for j := range n {
		vn[j] = dir[j] / net.Norm.XScale[j]
		gScale[j] = net.Norm.YScale / net.Norm.XScale[j]
	}
	gammaCol := make([]float64, n) // y_scale·v_n as an n × 1 column
	for j := range n {
		gammaCol[j] = net.Norm.YScale * vn[j]
	}
	g.Initializer = append(g.Initializer, doubles("gamma_column", gammaCol, n, 1), int64s("gamma_shape", -1))
	if hessian {
		g.Initializer = append(g.Initializer, int64s("hessian_shape", -1, int64(n), int64(n)))
	}
	if L == 0 { // linear: dydx = W_out ⊙ scale (per row), gamma = 0, H = 0
		g.Initializer = append(g.Initializer, doubles("greeks_scale", gScale, n))
		add("dydx_rows", "Mul", "x·0: a zero row per sample", "zero_rows", "x_n", zeroScalar(g))
		add("dydx_raw", "Add", "∂y_n/∂x_n = W_out on every row", "dydx_n", "zero_rows", "W_out")
		add("dydx", "Mul", "dydx = ∂y_n/∂x_n ⊙ y_scale/x_scale", "dydx", "dydx_n", "greeks_scale")
		add("gamma_rows", "MatMul", "a zero per sample", "gamma_col", "zero_rows", "gamma_column")
		add("gamma", "Reshape", "gamma as [batch]", "gamma", "gamma_col", "gamma_shape")
		if hessian {
			zeros := make([]string, n)
			for k := range zeros {
				zeros[k] = "zero_rows"
			}
			concatRows(g, zeros)
			add("hessian", "Reshape", "hessian as [batch, n, n]", "hessian", "hessian_rows", "hessian_shape")
		}
		return wrapModel(net, g, greeksDoc)
	}

	// σ′ and σ″ of every layer, then the reverse pass: g_L = W_out (a row),
	// δ_l = g_l ⊙ σ′(z_l), g_{l−1} = δ_l·W_l.
	for l := 1; l <= L; l++ {
		activationDerivs(g, net.Act, l)
	}
	for l := L; l >= 1; l-- {
		add(fmt.Sprintf("delta%d", l), "Mul", fmt.Sprintf("δ%d = g%d ⊙ σ′(z%d)", l, l, l), fmt.Sprintf("delta%d", l), gradName(l, L), fmt.Sprintf("d1_%d", l))
		if l > 1 {
			add(gradName(l-1, L), "MatMul", fmt.Sprintf("g%d = δ%d·W%d", l-1, l, l), gradName(l-1, L), fmt.Sprintf("delta%d", l), fmt.Sprintf("W%d", l))
		}
	}
	// dydx = g0 ⊙ y_scale/x_scale with the scale folded into the columns of
	// W1: a MatMul followed by a Mul by a scalar (one input) is fused by
	// onnxruntime into a MatMul whose float32 alpha rounds the scale.
	w1 := make([]float64, len(net.Params.W[0]))
	for i := range net.Sizes[1] {
		for j := range n {
			w1[i*n+j] = net.Params.W[0][i*n+j] * gScale[j]
		}
	}
	g.Initializer = append(g.Initializer, doubles("W1_dydx", w1, net.Sizes[1], n))
	add("dydx", "MatMul", "dydx = δ1·(W1 ⊙ y_scale/x_scale) = g0 ⊙ y_scale/x_scale", "dydx", "delta1", "W1_dydx")

	dd := tangentPass(g, net, vn, "")
	add("gdot0", "MatMul", "ġ0 = δ̇1·W1 = H_n·v_n", "gdot0", dd, "W1")
	add("gamma_col", "MatMul", "vᵀ·H·v = ġ0·(y_scale·v/x_scale)", "gamma_col", "gdot0", "gamma_column")
	add("gamma", "Reshape", "gamma as [batch]", "gamma", "gamma_col", "gamma_shape")
	if hessian {
		rows := make([]string, n)
		for k := range n {
			ek := make([]float64, n) // e_k in normalised units
			ek[k] = 1 / net.Norm.XScale[k]
			suffix := fmt.Sprintf("_h%d", k)
			rows[k] = "hessian_row" + suffix
			add(rows[k], "MatMul", fmt.Sprintf("row %d of H: δ̇1·(W1 ⊙ y_scale/x_scale) along e_%d", k, k), rows[k], tangentPass(g, net, ek, suffix), "W1_dydx")
		}
		concatRows(g, rows)
		add("hessian", "Reshape", "hessian as [batch, n, n]", "hessian", "hessian_rows", "hessian_shape")
	}
	return wrapModel(net, g, greeksDoc)
}

// gradName returns the name of g_l, the adjoint of a_l: W_out for the last
// hidden layer L, g<l> below it.
func gradName(l, L int) string {
	if l == L {
		return "W_out"
	}
	return fmt.Sprintf("g%d", l)
}

// tangentPass appends the tangent of the forward and reverse passes along the
// normalised direction vn, its node names ending in suffix, and returns the
// name of δ̇_1 (ġ_0 = δ̇_1·W_1 is H_n·v_n). The nodes d1_l, d2_l and g_l must
// exist.
func tangentPass(g *onnxpb.GraphProto, net *mlp.Network, vn []float64, suffix string) string {
	n, L := net.Inputs(), net.Layers()
	add := func(name, op, doc, out string, in ...string) { addNode(g, name+suffix, op, doc, out+suffix, in...) }
	name := func(format string, l int) string { return fmt.Sprintf(format, l) + suffix }
	// ż_1 = W_1·v_n is the same for every sample.
	zd1 := make([]float64, net.Sizes[1])
	for i := range zd1 {
		w := net.Params.W[0][i*n : (i+1)*n]
		for j := range n {
			zd1[i] += w[j] * vn[j]
		}
	}
	g.Initializer = append(g.Initializer, doubles(name("zdot%d", 1), zd1, 1, len(zd1)))
	for l := 1; l < L; l++ {
		add(fmt.Sprintf("adot%d", l), "Mul", fmt.Sprintf("ȧ%d = σ′(z%d) ⊙ ż%d", l, l, l), fmt.Sprintf("adot%d", l), fmt.Sprintf("d1_%d", l), name("zdot%d", l))
		g.Node = append(g.Node, &onnxpb.NodeProto{
			Name: proto.String(name("zdot%d", l+1)), OpType: proto.String("Gemm"),
			Input:     []string{name("adot%d", l), fmt.Sprintf("W%d", l+1)},
			Output:    []string{name("zdot%d", l+1)},
			DocString: proto.String(fmt.Sprintf("ż%d = ȧ%d·W%dᵀ", l+1, l, l+1)),
			Attribute: []*onnxpb.AttributeProto{transB()},
		})
	}
	gdk := "" // ġ_L = 0
	for l := L; l >= 1; l-- {
		add(fmt.Sprintf("curv%d", l), "Mul", fmt.Sprintf("σ″(z%d) ⊙ ż%d", l, l), fmt.Sprintf("curv%d", l), fmt.Sprintf("d2_%d", l), name("zdot%d", l))
		if gdk == "" {
			add(fmt.Sprintf("deltadot%d", l), "Mul", fmt.Sprintf("δ̇%d = g%d ⊙ σ″(z%d) ⊙ ż%d (ġ%d = 0)", l, l, l, l, l), fmt.Sprintf("deltadot%d", l), gradName(l, L), name("curv%d", l))
		} else {
			add(fmt.Sprintf("deltadot_a%d", l), "Mul", fmt.Sprintf("ġ%d ⊙ σ′(z%d)", l, l), fmt.Sprintf("deltadot_a%d", l), gdk, fmt.Sprintf("d1_%d", l))
			add(fmt.Sprintf("deltadot_b%d", l), "Mul", fmt.Sprintf("g%d ⊙ σ″(z%d) ⊙ ż%d", l, l, l), fmt.Sprintf("deltadot_b%d", l), gradName(l, L), name("curv%d", l))
			add(fmt.Sprintf("deltadot%d", l), "Add", fmt.Sprintf("δ̇%d = ġ%d ⊙ σ′(z%d) + g%d ⊙ σ″(z%d) ⊙ ż%d", l, l, l, l, l, l), fmt.Sprintf("deltadot%d", l), name("deltadot_a%d", l), name("deltadot_b%d", l))
		}
		if l > 1 {
			gdk = name("gdot%d", l-1)
			add(fmt.Sprintf("gdot%d", l-1), "MatMul", fmt.Sprintf("ġ%d = δ̇%d·W%d", l-1, l, l), fmt.Sprintf("gdot%d", l-1), name("deltadot%d", l), fmt.Sprintf("W%d", l))
		}
	}
	return name("deltadot%d", 1)
}

// concatRows appends a node that concatenates the [batch, n] tensors rows
// along their second axis into hessian_rows [batch, n·len(rows)].
func concatRows(g *onnxpb.GraphProto, rows []string) {
	nd := addNode(g, "hessian_concat", "Concat", "the rows of H side by side", "hessian_rows", rows...)
	nd.Attribute = []*onnxpb.AttributeProto{{Name: proto.String("axis"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)}}
}

const greeksDoc = "Neural surrogate of a pricer with its exact greeks: maps raw inputs x to the raw value y, the deltas dydx and gamma = vᵀ·H·v."

// activationDerivs appends the nodes of σ′(z_l) and σ″(z_l), named d1_l and
// d2_l, for the activation act of hidden layer l (a_l = σ(z_l) exists).
func activationDerivs(g *onnxpb.GraphProto, act mlp.Activation, l int) {
	add := func(name, op, doc, out string, in ...string) { addNode(g, name, op, doc, out, in...) }
	v := func(s string) string { return fmt.Sprintf("%s%d", s, l) }
	z, a := v("z"), v("a")
	d1, d2 := fmt.Sprintf("d1_%d", l), fmt.Sprintf("d2_%d", l)
	switch act {
	case mlp.SiLU: // s = sigmoid(z): σ′ = s(1 + z(1−s)), σ″ = s(1−s)(2 + z(1−2s))
		add(v("sig"), "Sigmoid", "s = sigmoid(z)", v("sig"), z)
		add(v("sigc"), "Sub", "1 − s", v("sigc"), "one", v("sig"))
		add(v("d1_zq"), "Mul", "z(1−s)", v("d1_zq"), z, v("sigc"))
		add(v("d1_sum"), "Add", "1 + z(1−s)", v("d1_sum"), "one", v("d1_zq"))
		add(d1, "Mul", "σ′ = s(1 + z(1−s))", d1, v("sig"), v("d1_sum"))
		add(v("d2_p"), "Mul", "s(1−s)", v("d2_p"), v("sig"), v("sigc"))
		add(v("d2_m"), "Sub", "1 − 2s = (1−s) − s", v("d2_m"), v("sigc"), v("sig"))
		add(v("d2_zm"), "Mul", "z(1−2s)", v("d2_zm"), z, v("d2_m"))
		add(v("d2_sum"), "Add", "2 + z(1−2s)", v("d2_sum"), "two", v("d2_zm"))
		add(d2, "Mul", "σ″ = s(1−s)(2 + z(1−2s))", d2, v("d2_p"), v("d2_sum"))
		ensureConst(g, "two", 2)
	case mlp.Softplus: // σ′ = s, σ″ = s(1−s)
		add(d1, "Sigmoid", "σ′ = sigmoid(z)", d1, z)
		add(v("sigc"), "Sub", "1 − s", v("sigc"), "one", d1)
		add(d2, "Mul", "σ″ = s(1−s)", d2, d1, v("sigc"))
	case mlp.Tanh: // t = tanh(z): σ′ = 1 − t², σ″ = −2t(1 − t²)
		ensureConst(g, "one", 1)
		ensureConst(g, "minus_two", -2)
		add(v("tsq"), "Mul", "t²", v("tsq"), a, a)
		add(d1, "Sub", "σ′ = 1 − t²", d1, "one", v("tsq"))
		add(v("d2_t"), "Mul", "−2t", v("d2_t"), "minus_two", a)
		add(d2, "Mul", "σ″ = −2t(1 − t²)", d2, v("d2_t"), d1)
	case mlp.ReLU: // σ′ = 1 for z > 0, else 0; σ″ = 0
		add(v("pos"), "Greater", "z > 0", v("pos"), z, zeroScalar(g))
		add(d1, "Cast", "σ′ = (z > 0) as 0 or 1", d1, v("pos"))
		g.Node[len(g.Node)-1].Attribute = []*onnxpb.AttributeProto{{
			Name: proto.String("to"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(int64(onnxpb.TensorProto_DOUBLE)),
		}}
		add(d2, "Mul", "σ″ = 0: z·0", d2, z, zeroScalar(g))
	}
}

// ensureConst adds the scalar initializer name = v to g unless it has one.
func ensureConst(g *onnxpb.GraphProto, name string, v float64) {
	for _, t := range g.Initializer {
		if t.GetName() == name {
			return
		}
	}
	g.Initializer = append(g.Initializer, doubles(name, []float64{v}))
}

// zeroScalar returns the name of the scalar initializer 0, adding it to g.
func zeroScalar(g *onnxpb.GraphProto) string {
	ensureConst(g, "zero", 0)
	return "zero"
}

// int64s returns an INT64 initializer of shape [len(data)].
func int64s(name string, data ...int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{
		Name:      proto.String(name),
		Dims:      []int64{int64(len(data))},
		DataType:  proto.Int32(int32(onnxpb.TensorProto_INT64)),
		Int64Data: data,
	}
}
