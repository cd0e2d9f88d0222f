package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go_opt=Monnx.proto=github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb onnx.proto
