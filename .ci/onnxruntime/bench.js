'use strict';
// Times sobolev's ONNX files in onnxruntime (CPU execution provider,
// float64): batched throughput and the latency of one point.
//
//	node bench.js [--json] [--min-time S] [--batch B] [--threads T] [--x FILE] model.onnx [greeks.onnx] …
//
// The script is cmd/sobolev/ortbench.js, which "sobolev eval --onnxruntime
// DIR" embeds; its comment documents the flags, what is timed and the JSON.
// This file runs it with this folder's onnxruntime-node (npm ci
// --ignore-scripts).
require('../../cmd/sobolev/ortbench.js').main(require('onnxruntime-node'), process.argv.slice(2));
