// Package onnx saves and loads an mlp.Network as an ONNX model file, which
// maps raw inputs to the raw output so that other tools (onnxruntime, Netron,
// PyTorch's importers) can run it as it is.
//
// # Format
//
// Save writes IR version 8 with the default-domain opset 17 (ONNX 1.12). The
// graph has one input "x", a DOUBLE tensor of shape [batch, n] with a symbolic
// batch dimension, and one output "y" of shape [batch, 1]. Its nodes, in
// order (method.md §3):
//
//	x_centered = Sub(x, x_mean)             x_mean:  [n]
//	x_n        = Div(x_centered, x_scale)   x_scale: [n]
//	z1         = Gemm(x_n, W1, b1)          W1: [h1, n], b1: [h1], transB = 1
//	a1         = σ(z1)
//	…                                       one Gemm and one σ per hidden layer
//	y_n        = Gemm(aL, W_out, b_out)     W_out: [1, hL], b_out: [1], transB = 1
//	y_scaled   = Mul(y_n, y_scale)          y_scale: [1]
//	y          = Add(y_scaled, y_mean)      y_mean:  [1]
//
// where σ is one Tanh or Relu node, or, written out in elementary operators,
//
//	SiLU:      Div(z, Add(Exp(Neg(z)), one))                         z/(1 + e⁻ᶻ)
//	Softplus:  Add(Relu(z), Log(Add(Exp(Neg(Abs(z))), one)))         max(z, 0) + log(1 + e⁻|ᶻ|)
//
// with one = 1 of shape [], an initializer only SiLU and Softplus networks
// with hidden layers have. Neither form overflows: e⁻ᶻ = +Inf gives z/Inf = −0.
// The operators Sigmoid·Mul and Softplus are not used because onnxruntime
// (1.30, CPU) cannot run them in float64: it has no float64 Softplus kernel,
// and it fuses Mul(z, Sigmoid(z)) into a QuickGelu that has none either.
// The weights W[l] keep their (out, in) row-major layout, which Gemm with
// transB = 1 reads as stored. All constants are DOUBLE initializers with
// little-endian raw_data, the weights first in the order of Params.Flat, then
// x_mean, x_scale, y_scale, y_mean and one; none is listed as a graph input. metadata_props record the
// activation ("activation"), the number of inputs ("inputs") and the hidden
// widths ("hidden_widths", e.g. "8,8,8"); producer_name is "sobolev". The CI
// script (.ci/run) runs such files in onnxruntime and checks that every output
// equals mlp.Network.Value to 1e-9 relative.
//
// # Reading
//
// Load and Read rebuild the network from the graph alone: they walk it from
// the input along the data flow, node by node, checking every operand's shape
// on the way, and accept the form above and the ways PyTorch
// (torch.onnx.export of an nn.Sequential of Linear and SiLU, Softplus, Tanh
// or ReLU) and JAX (jax2tf, then tf2onnx) write the same network:
//
//	[Sub(mean)] [Div(scale) | Mul(1/scale)]       input normalisation
//	dense (σ dense)*                               one σ for all hidden layers
//	[Mul(y_scale) [Add(y_mean)]]                   output scaling
//
// where
//
//   - a dense layer is Gemm (transA, transB, alpha and beta are folded into
//     the weights and bias; C may be left out), or MatMul, with the weights
//     on either side of the data; Adds straight after it go into its bias
//     (so an output Add without a Mul before it leaves YMean = 0); a MatMul
//     by a weight vector [in] is a layer with one output, given as [batch];
//   - σ is SiLU as Save writes it, or as Sigmoid and Mul (operands in either
//     order), or as Neg, Exp, Add(1), Reciprocal (or Div(1, ·)) and Mul;
//     Softplus as Save writes it, as Softplus, or as jax2tf and tf2onnx
//     write jax.nn.softplus, jnp.logaddexp(z, 0):
//     Where(IsNaN(d), Add(z, 0), Add(Max(z, 0), Log(Add(Exp(Neg(Abs(d))), 1))))
//     with d = Sub(z, 0), where the Sub, the Where or its Add may be left
//     out and commutative operands come in either order; Tanh; Relu or
//     Max(·, 0);
//   - the constants of Sub, Div, Mul and Add hold one value per column or
//     one value for all; Add and Mul take them on either side;
//   - Identity, a Cast to the data's own type or from FLOAT to DOUBLE,
//     Transpose, and a Reshape, Flatten, Squeeze or Unsqueeze that keeps the
//     data in order, only adding or removing axes of size 1 other than the
//     batch axis, may stand anywhere on the data, as long as the data stay
//     [batch, width], [width, batch] or, for width 1, [batch]; a Transpose
//     must be undone, or the weights taken on the other side, before the
//     output; Squeeze and Unsqueeze take their axes as an attribute or an
//     input, and a Squeeze without axes needs a fixed batch size above 1;
//   - constants are initializers (raw_data or the typed field, also listed as
//     graph inputs as before IR version 4), Constant nodes with a value
//     tensor, or these through Identity, Cast, Transpose and Reshape.
//
// Names are free, and the default-domain opset may be 7 to 23. The graph
// has one input, a FLOAT or DOUBLE tensor [batch, n] with n fixed, and one
// output [batch, 1] or [batch]; every node must lie on the path from one to
// the other. The batch size may be symbolic or fixed, as jax2tf exports fix
// it (e.g. [256, n] and [256]); a Reshape may then give it as a number. The
// network read evaluates any number of points all the same. Whatever is not
// of this form is refused, with an error naming the first node, in
// data-flow order, that does not fit, and its op type: a Reshape that moves
// data, a Squeeze of the batch axis, a network with two activations, Conv,
// LayerNormalization, a Cast that rounds the data to float32.
//
// A FLOAT (float32) model is read into float64: its weights and constants
// are converted exactly, and the network is then evaluated in float64, so
// its outputs differ from a float32 runtime's by float32 rounding. A scale
// written as its inverse, Mul(1/scale), is read as XScale = 1/(1/scale),
// which may differ from the scale in the last bit; alpha and beta other than
// powers of two round likewise. Otherwise a network is read bit for bit.
// Scales must be positive: the result passes mlp.Network.Validate.
//
// A network without hidden layers has no activation node. Its Act is taken
// from the metadata of a file whose producer_name is "sobolev", and is SiLU
// otherwise. Such files must also carry metadata_props that agree with their
// graph: protobuf has no end marker, and this is how a file cut short after
// its graph is caught.
//
// # Errors
//
// Errors name the file (Save, Load), say what was found and what was
// expected; an unsupported node is named by its index, name and op type.
// Errors about the content of a file match ErrFormat. Load and Read return
// errors, never panic, on any input bytes.
package onnx
