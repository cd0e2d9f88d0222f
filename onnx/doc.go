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
// where σ is Sigmoid followed by Mul(z, Sigmoid(z)) for SiLU, or one Softplus,
// Tanh or Relu node. The weights W[l] keep their (out, in) row-major layout,
// which Gemm with transB = 1 reads as stored. All constants are DOUBLE
// initializers with little-endian raw_data, the weights first in the order of
// Params.Flat; none is listed as a graph input. metadata_props record the
// activation ("activation"), the number of inputs ("inputs") and the hidden
// widths ("hidden_widths", e.g. "8,8,8"); producer_name is "sobolev".
//
// # Reading
//
// Load and Read rebuild the network from the graph alone: they walk it from
// the input along the data flow, node by node, checking every operand's shape
// on the way, and accept exactly the form above, with these freedoms: node,
// value and initializer names are free; the Sub/Div and the Mul/Add pairs may
// both be absent (identity normalisation); an initializer may hold its data
// in double_data; initializers may also be listed as graph inputs (IR version
// 3); the default-domain opset may be 7 to 23. The result passes
// mlp.Network.Validate.
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
