package onnx

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// Default-domain opsets Load accepts. From opset 7 on, Sub, Div, Mul and Add
// broadcast as NumPy does and Gemm takes no broadcast attribute; up to opset
// 23 no new version of an operator this package reads changed its meaning for
// double tensors.
const (
	minOpset = 7
	maxOpset = 23
)

// ErrFormat is matched, through errors.Is, by every error of Load and Read
// about the content of the data: a file that is not an ONNX model, is cut
// short or corrupt, or holds a graph that is not an MLP of the form this
// package reads.
var ErrFormat = errors.New("onnx: not an ONNX MLP of the supported form")

// formatError is an error about the content of a model file.
type formatError struct {
	path string // the file, or "" for Read
	err  error  // what is wrong
}

func (e *formatError) Error() string {
	if e.path == "" {
		return "onnx: " + e.err.Error()
	}
	return "onnx: " + e.path + ": " + e.err.Error()
}

func (e *formatError) Unwrap() []error { return []error{ErrFormat, e.err} }

// Load reads the ONNX model in the file at path and returns the network it
// computes. The graph must have the form Save writes or one of the forms of
// other exporters listed in the package documentation; the network is read
// from the graph, not from the metadata, and it passes Validate. Errors name
// the file; those about its content match ErrFormat.
func Load(path string) (*mlp.Network, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	net, err := decode(data)
	if err != nil {
		return nil, &formatError{path: path, err: err}
	}
	return net, nil
}

// Read reads an ONNX model from r, to EOF, as Load does from a file.
func Read(r io.Reader) (*mlp.Network, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("onnx: %w", err)
	}
	net, err := decode(data)
	if err != nil {
		return nil, &formatError{err: err}
	}
	return net, nil
}

// decode returns the network of the serialised model data.
func decode(data []byte) (*mlp.Network, error) {
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not an ONNX model: %w", err)
	}
	if v := m.GetIrVersion(); v < 3 {
		return nil, fmt.Errorf("ir_version is %d, want 3 or more (a file without it is not an ONNX model)", v)
	}
	if err := checkOpset(m.GetOpsetImport()); err != nil {
		return nil, err
	}
	if m.GetGraph() == nil {
		return nil, errors.New("model has no graph")
	}
	net, err := readGraph(m.GetGraph())
	if err != nil {
		return nil, err
	}
	if m.GetProducerName() == producer {
		if err := checkMetadata(m.GetMetadataProps(), net); err != nil {
			return nil, err
		}
	}
	if err := net.Validate(); err != nil {
		return nil, err
	}
	return net, nil
}

// checkOpset checks that the model imports one version of the default domain
// ("" or "ai.onnx"), between minOpset and maxOpset.
func checkOpset(imports []*onnxpb.OperatorSetIdProto) error {
	found := false
	for _, o := range imports {
		if d := o.GetDomain(); d != "" && d != "ai.onnx" {
			continue
		}
		if found {
			return errors.New("opset_import lists the default domain twice, want once")
		}
		found = true
		if v := o.GetVersion(); v < minOpset || v > maxOpset {
			return fmt.Errorf("default-domain opset is %d, want %d to %d", v, minOpset, maxOpset)
		}
	}
	if !found {
		return fmt.Errorf("opset_import has no default domain, want version %d to %d", minOpset, maxOpset)
	}
	return nil
}

// checkMetadata checks the metadata_props a file from Save carries against
// the network read from its graph. Protobuf has no end marker, so a file cut
// short between two metadata entries would otherwise load as if whole. For a
// network without hidden layers the graph has no activation, and Act is set
// from the metadata.
func checkMetadata(props []*onnxpb.StringStringEntryProto, net *mlp.Network) error {
	meta := make(map[string]string, len(props))
	for _, p := range props {
		meta[p.GetKey()] = p.GetValue()
	}
	get := func(key string) (string, error) {
		v, ok := meta[key]
		if !ok {
			return "", fmt.Errorf("metadata_props has no %q, which producer %q always writes (is the file cut short?)", key, producer)
		}
		return v, nil
	}
	for _, kv := range [...]struct{ key, want string }{
		{metaInputs, strconv.Itoa(net.Inputs())},
		{metaHidden, formatWidths(net.Hidden())},
	} {
		got, err := get(kv.key)
		if err != nil {
			return err
		}
		if got != kv.want {
			return fmt.Errorf("metadata_props %q is %q, but the graph gives %q", kv.key, got, kv.want)
		}
	}
	name, err := get(metaActivation)
	if err != nil {
		return err
	}
	act, err := mlp.ParseActivation(name)
	if err != nil {
		return fmt.Errorf("metadata_props %q: %w", metaActivation, err)
	}
	if net.Layers() == 0 {
		net.Act = act
	} else if act != net.Act {
		return fmt.Errorf("metadata_props %q is %q, but the graph gives %q", metaActivation, act, net.Act)
	}
	return nil
}
