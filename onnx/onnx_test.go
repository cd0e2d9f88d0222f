package onnx

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx/internal/onnxpb"
)

// sameBits reports whether a and b hold the same float64 bit patterns.
func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

// sameNetwork returns "" if got equals want bit for bit, else what differs.
func sameNetwork(got, want *mlp.Network) string {
	switch {
	case !slices.Equal(got.Sizes, want.Sizes):
		return fmt.Sprintf("sizes %v, want %v", got.Sizes, want.Sizes)
	case got.Act != want.Act:
		return fmt.Sprintf("activation %v, want %v", got.Act, want.Act)
	case !sameBits(got.Params.Flat, want.Params.Flat):
		return "parameters differ"
	case !sameBits(got.Norm.XMean, want.Norm.XMean) || !sameBits(got.Norm.XScale, want.Norm.XScale) ||
		!sameBits([]float64{got.Norm.YMean, got.Norm.YScale}, []float64{want.Norm.YMean, want.Norm.YScale}):
		return fmt.Sprintf("normalisation %+v, want %+v", got.Norm, want.Norm)
	}
	off := 0
	for l := range got.Params.W { // W[l] and B[l] must be views into Flat
		p := got.Params
		if &p.W[l][0] != &p.Flat[off] || &p.B[l][0] != &p.Flat[off+len(p.W[l])] {
			return fmt.Sprintf("W[%d] or B[%d] is not a view into Flat at offset %d", l, l, off)
		}
		off += len(p.W[l]) + len(p.B[l])
	}
	return ""
}

func TestSaveLoadRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	for _, sh := range testShapes() {
		for _, act := range testActs() {
			net := randomNetwork(rng, sh.inputs, sh.hidden, act)
			path := filepath.Join(dir, fmt.Sprintf("m-%d-%d-%v.onnx", sh.inputs, len(sh.hidden), act))
			if err := Save(path, net); err != nil {
				t.Fatal(err)
			}
			got, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if d := sameNetwork(got, net); d != "" {
				t.Errorf("%s: loaded network: %s", path, d)
			}
			for range 3 {
				x := make([]float64, sh.inputs)
				for j := range x {
					x[j] = rng.NormFloat64()
				}
				if a, b := forward(got, x), forward(net, x); math.Float64bits(a) != math.Float64bits(b) {
					t.Errorf("%s: loaded network gives %v at %v, saved one %v", path, a, x, b)
				}
			}
		}
	}
}

func TestReadTruncated(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sh := range []shape{{7, []int{6, 6, 6, 6, 6, 6, 6, 6}}, {2, nil}} {
		data := mustMarshal(t, randomNetwork(rng, sh.inputs, sh.hidden, mlp.SiLU))
		if _, err := Read(bytes.NewReader(data)); err != nil {
			t.Fatalf("whole file: %v", err)
		}
		for cut := range len(data) { // every proper prefix, including the empty file
			_, err := Read(bytes.NewReader(data[:cut]))
			if err == nil {
				t.Fatalf("%v: the first %d of %d bytes load without error", sh, cut, len(data))
			}
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("%v: the first %d of %d bytes: error %v does not match ErrFormat", sh, cut, len(data), err)
			}
		}
	}
}

func TestReadByteFlips(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	data := mustMarshal(t, randomNetwork(rng, 3, []int{4, 4}, mlp.Tanh))
	loaded := 0
	for range 5000 {
		bad := slices.Clone(data)
		for range 1 + rng.IntN(3) {
			bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
		}
		net, err := Read(bytes.NewReader(bad)) // a panic fails the test
		switch {
		case err != nil && !errors.Is(err, ErrFormat):
			t.Fatalf("error %v does not match ErrFormat", err)
		case err == nil:
			loaded++
			if verr := net.Validate(); verr != nil {
				t.Fatalf("a corrupt file loads as an invalid network: %v", verr)
			}
		}
	}
	t.Logf("%d of 5000 corrupted files load (flips in weights or doc strings)", loaded)
}

// findNode returns the node of g named name.
func findNode(t *testing.T, g *onnxpb.GraphProto, name string) *onnxpb.NodeProto {
	t.Helper()
	for _, nd := range g.GetNode() {
		if nd.GetName() == name {
			return nd
		}
	}
	t.Fatalf("no node %q", name)
	return nil
}

// findInit returns the initializer of g named name.
func findInit(t *testing.T, g *onnxpb.GraphProto, name string) *onnxpb.TensorProto {
	t.Helper()
	for _, init := range g.GetInitializer() {
		if init.GetName() == name {
			return init
		}
	}
	t.Fatalf("no initializer %q", name)
	return nil
}

// removeNode deletes the node named name and makes its readers read its input.
func removeNode(t *testing.T, g *onnxpb.GraphProto, name string) {
	t.Helper()
	nd := findNode(t, g, name)
	g.Node = slices.DeleteFunc(g.Node, func(n *onnxpb.NodeProto) bool { return n == nd })
	for _, n := range g.Node {
		for k, in := range n.Input {
			if in == nd.Output[0] {
				n.Input[k] = nd.Input[0]
			}
		}
	}
}

// testModel returns the model Save writes for a 3 → 4×2 network with activation act.
func testModel(t *testing.T, act mlp.Activation) (*mlp.Network, *onnxpb.ModelProto) {
	t.Helper()
	net := randomNetwork(rand.New(rand.NewPCG(9, 10)), 3, []int{4, 4}, act)
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(mustMarshal(t, net), &m); err != nil {
		t.Fatal(err)
	}
	return net, &m
}

// readModel serialises m and reads it back.
func readModel(t *testing.T, m *onnxpb.ModelProto) (*mlp.Network, error) {
	t.Helper()
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return Read(bytes.NewReader(data))
}

// checkRefused checks that Read refuses m with an error that matches
// ErrFormat and contains every text of want.
func checkRefused(t *testing.T, name string, m *onnxpb.ModelProto, want []string) {
	t.Helper()
	_, err := readModel(t, m)
	if err == nil {
		t.Errorf("%s: no error", name)
		return
	}
	if !errors.Is(err, ErrFormat) {
		t.Errorf("%s: error %q does not match ErrFormat", name, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not contain %q", name, err, w)
		}
	}
}

func TestReadAccepts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		act    mlp.Activation
		mutate func(t *testing.T, m *onnxpb.ModelProto, want *mlp.Network)
	}{
		{"double_data", mlp.SiLU, func(t *testing.T, m *onnxpb.ModelProto, _ *mlp.Network) {
			for _, init := range m.Graph.Initializer {
				v, err := initializerValue(init)
				if err != nil {
					t.Fatal(err)
				}
				init.RawData, init.DoubleData = nil, v.data
			}
		}},
		{"initializers as graph inputs (IR version 3)", mlp.Softplus, func(t *testing.T, m *onnxpb.ModelProto, _ *mlp.Network) {
			m.IrVersion = proto.Int64(3)
			for _, init := range m.Graph.Initializer {
				m.Graph.Input = append(m.Graph.Input, &onnxpb.ValueInfoProto{Name: init.Name})
			}
		}},
		{"no normalisation nodes", mlp.ReLU, func(t *testing.T, m *onnxpb.ModelProto, want *mlp.Network) {
			for _, name := range []string{"normalize_sub", "normalize_div", "denormalize_mul"} {
				removeNode(t, m.Graph, name)
			}
			removeNode(t, m.Graph, "denormalize_add")
			m.Graph.Output[0].Name = proto.String("y_n")
			want.Norm = mlp.New(want.Inputs(), nil, want.Act).Norm
		}},
		{"other names, opset 13 as ai.onnx", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto, _ *mlp.Network) {
			m.OpsetImport[0].Domain, m.OpsetImport[0].Version = proto.String("ai.onnx"), proto.Int64(13)
			m.OpsetImport = append(m.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: proto.String("ai.onnx.ml"), Version: proto.Int64(3)})
			for _, nd := range m.Graph.Node {
				nd.Name = nil
			}
		}},
		{"foreign producer without metadata", mlp.SiLU, func(t *testing.T, m *onnxpb.ModelProto, _ *mlp.Network) {
			m.ProducerName, m.MetadataProps = proto.String("pytorch"), nil
		}},
		{"Sub without Div", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto, want *mlp.Network) {
			removeNode(t, m.Graph, "normalize_div")
			want.Norm.XScale = mlp.New(want.Inputs(), nil, want.Act).Norm.XScale
		}},
		{"Div without Sub", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto, want *mlp.Network) {
			removeNode(t, m.Graph, "normalize_sub")
			want.Norm.XMean = mlp.New(want.Inputs(), nil, want.Act).Norm.XMean
		}},
		{"Mul without Add", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto, want *mlp.Network) {
			removeNode(t, m.Graph, "denormalize_add")
			m.Graph.Output[0].Name = proto.String("y_scaled")
			want.Norm.YMean = 0
		}},
		{"Gemm alpha and beta, powers of two", mlp.Tanh, func(t *testing.T, m *onnxpb.ModelProto, want *mlp.Network) {
			nd := findNode(t, m.Graph, "dense_out")
			nd.Attribute = append(nd.Attribute,
				&onnxpb.AttributeProto{Name: proto.String("alpha"), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(2)},
				&onnxpb.AttributeProto{Name: proto.String("beta"), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(0.5)})
			for i := range want.Params.W[2] {
				want.Params.W[2][i] *= 2
			}
			want.Params.B[2][0] *= 0.5
		}},
	} {
		want, m := testModel(t, tc.act)
		tc.mutate(t, m, want)
		got, err := readModel(t, m)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if d := sameNetwork(got, want); d != "" {
			t.Errorf("%s: %s", tc.name, d)
		}
	}
}

func TestLinearNetworkActivation(t *testing.T) {
	// Without hidden layers the graph has no activation node: Act comes from
	// the metadata of a file from Save, and is SiLU otherwise.
	net := randomNetwork(rand.New(rand.NewPCG(11, 12)), 2, nil, mlp.ReLU)
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(mustMarshal(t, net), &m); err != nil {
		t.Fatal(err)
	}
	if got, err := readModel(t, &m); err != nil || got.Act != mlp.ReLU {
		t.Errorf("file from Save: activation %v (error %v), want relu", got.Act, err)
	}
	m.ProducerName, m.MetadataProps = proto.String("other"), nil
	if got, err := readModel(t, &m); err != nil || got.Act != mlp.SiLU {
		t.Errorf("foreign file: activation %v (error %v), want silu", got.Act, err)
	}
}

func TestWriteDeterministic(t *testing.T) {
	net := randomNetwork(rand.New(rand.NewPCG(13, 14)), 4, []int{5, 5}, mlp.SiLU)
	if a, b := mustMarshal(t, net), mustMarshal(t, net.Clone()); !bytes.Equal(a, b) {
		t.Error("two writes of equal networks differ")
	}
}

// failWriter fails every write.
type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriteErrors(t *testing.T) {
	errDisk := errors.New("disk full")
	net := randomNetwork(rand.New(rand.NewPCG(15, 16)), 2, []int{3}, mlp.Tanh)
	if err := Write(failWriter{errDisk}, net); !errors.Is(err, errDisk) {
		t.Errorf("Write to a failing writer returned %v, want its error", err)
	}
	net.Act = mlp.Activation(-1)
	var buf bytes.Buffer
	if err := Write(&buf, net); err == nil || !strings.Contains(err.Error(), "network has activation Activation(-1), want silu") || buf.Len() != 0 {
		t.Errorf("Write with an unknown activation: error %v and %d bytes written, want an error and none", err, buf.Len())
	}
	net.Act = mlp.Tanh
	net.Norm.XScale[1] = 0
	if err := Write(&buf, net); err == nil || !strings.Contains(err.Error(), "mlp: input 1 normalisation") || buf.Len() != 0 {
		t.Errorf("Write of an invalid network: error %v and %d bytes written, want a Validate error and none", err, buf.Len())
	}
}

// dirEntries returns the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestSaveErrors(t *testing.T) {
	net := randomNetwork(rand.New(rand.NewPCG(17, 18)), 2, []int{3}, mlp.Tanh)
	dir := t.TempDir()

	missing := filepath.Join(dir, "missing", "model.onnx")
	if err := Save(missing, net); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Save into a missing directory: error %v, want one naming %s", err, missing)
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Errorf("after a failed Save the directory holds %v, want nothing", names)
	}

	// Renaming over a directory fails after the temporary file is written.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Save(sub, net); err == nil || !strings.Contains(err.Error(), sub) {
		t.Errorf("Save over a directory: error %v, want one naming %s", err, sub)
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"sub"}) {
		t.Errorf("after a failed Save the directory holds %v, want only [sub]", names)
	}

	bad := net.Clone()
	bad.Params.Flat[0] = math.Inf(1)
	path := filepath.Join(dir, "bad.onnx")
	if err := Save(path, bad); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "mlp: parameter 0 is +Inf") {
		t.Errorf("Save of an invalid network: error %v, want one naming %s and the parameter", err, path)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Save of an invalid network left a file (stat: %v)", err)
	}
}

func TestSaveReplaces(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	path := filepath.Join(t.TempDir(), "model.onnx")
	first, second := randomNetwork(rng, 2, []int{3}, mlp.Tanh), randomNetwork(rng, 4, []int{5, 6}, mlp.SiLU)
	for _, net := range []*mlp.Network{first, second} {
		if err := Save(path, net); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := sameNetwork(got, second); d != "" {
		t.Errorf("after saving over a model: %s", d)
	}
	if names := dirEntries(t, filepath.Dir(path)); !slices.Equal(names, []string{"model.onnx"}) {
		t.Errorf("directory holds %v, want only [model.onnx]", names)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.onnx")
	if _, err := Load(missing); !errors.Is(err, fs.ErrNotExist) || errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load of a missing file: %v, want fs.ErrNotExist naming %s", err, missing)
	}
	text := filepath.Join(dir, "notes.onnx")
	if err := os.WriteFile(text, []byte("these are not the weights you are looking for\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(text)
	if !errors.Is(err, ErrFormat) || !strings.HasPrefix(fmt.Sprint(err), "onnx: "+text+": ") {
		t.Errorf("Load of a text file: %v, want ErrFormat naming %s", err, text)
	}
}

// FuzzRead checks that no input makes Read panic, and that what it accepts
// is a valid network. Run with go test -fuzz FuzzRead ./onnx.
func FuzzRead(f *testing.F) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, act := range testActs() {
		var buf bytes.Buffer
		if err := Write(&buf, randomNetwork(rng, 2, []int{3, 2}, act)); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	for _, e := range exporters() {
		data, err := proto.Marshal(e.model(foreignNetwork(rng, e, 2, []int{3}, mlp.Softplus)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		net, err := Read(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not match ErrFormat", err)
			}
			return
		}
		if err := net.Validate(); err != nil {
			t.Fatalf("Read accepted an invalid network: %v", err)
		}
	})
}
