package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sobolev-pruning/sobolev/pipeline"
	"github.com/sobolev-pruning/sobolev/results"
)

// tree returns the files under dir, by slash-separated relative path, with
// their content; folders map to nil.
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			m[filepath.ToSlash(rel)+"/"] = nil
			return nil
		}
		b, err := os.ReadFile(p)
		m[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// keys returns the sorted keys of m.
func keys(m map[string][]byte) []string {
	k := make([]string, 0, len(m))
	for s := range m {
		k = append(k, s)
	}
	slices.Sort(k)
	return k
}

// runTiny runs "sobolev run" on tinyConfig with extra arguments.
func runTiny(ctx context.Context, t *testing.T, out string, args ...string) error {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(cfg, []byte(tinyConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := runSobolev(ctx, append([]string{"run", "--config", cfg, "--out", out}, args...)...)
	return err
}

// noTemporaries fails if dir holds a temporary file or folder of sobolev.
func noTemporaries(t *testing.T, dirs ...string) {
	t.Helper()
	for _, dir := range dirs {
		for _, name := range files(t, dir) {
			if strings.Contains(name, ".sobolev-tmp-") || strings.Contains(name, ".sobolev-data-") || strings.Contains(name, ".tmp") {
				t.Errorf("%s holds the temporary %s", dir, name)
			}
		}
	}
}

// freshRun lists the files of a run of tinyConfig.
var freshRun = []string{".sobolev-run.json", "data/", "data/spec.json", "data/test.npz", "data/train.npz",
	"models/", "models/large-mse.greeks.onnx", "models/large-mse.onnx", "models/large-sobolev.greeks.onnx",
	"models/large-sobolev.onnx", "models/pruned-mse-ft.greeks.onnx", "models/pruned-mse-ft.onnx",
	"models/pruned-sobolev-ft.greeks.onnx", "models/pruned-sobolev-ft.onnx", "models/pruned.greeks.onnx",
	"models/pruned.onnx", "models/scratch-sobolev.greeks.onnx", "models/scratch-sobolev.onnx",
	"report/", "report/index.html", "results.json", "run.log"}

// TestRunOutRefusesNonEmpty checks that a folder with other files is refused
// before any work, and left as it was.
func TestRunOutRefusesNonEmpty(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if err := os.MkdirAll(filepath.Join(out, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := tree(t, out)
	err := runTiny(context.Background(), t, out)
	want := "run: --out " + out + " holds files that sobolev did not write (notes.txt, sub/); pass --force to build the run there, replacing only sobolev's files and keeping the others, or choose another folder"
	if err == nil || err.Error() != want {
		t.Errorf("run into a folder with other files:\nerror %v\nwant  %s", err, want)
	}
	if after := tree(t, out); !reflect.DeepEqual(after, before) {
		t.Errorf("the refused run changed the folder: %q, was %q", keys(after), keys(before))
	}
	noTemporaries(t, parent, out)

	// A file is no folder.
	file := filepath.Join(parent, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runTiny(context.Background(), t, file); err == nil || !strings.Contains(err.Error(), "run: --out "+file+" is a file, not a folder") {
		t.Errorf("run into a file: error %v", err)
	}
}

// TestRunOutReplacesRun checks that a finished run is replaced without
// --force, files of stages that no longer exist included, and that a run of
// an earlier version (no manifest) needs --force.
func TestRunOutReplacesRun(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if err := runTiny(context.Background(), t, out, "--seed", "1"); err != nil {
		t.Fatal(err)
	}
	if got := keys(tree(t, out)); !reflect.DeepEqual(got, freshRun) {
		t.Fatalf("a run wrote %q, want %q", got, freshRun)
	}
	// A model of a stage that the new run does not have, listed in the
	// manifest as the earlier run's.
	stale := filepath.Join(out, "models", "old-stage.onnx")
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	var m manifest
	data, err := os.ReadFile(filepath.Join(out, manifestName))
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	m.Files = append(m.Files, "models/old-stage.onnx")
	if data, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, manifestName), data, 0o644); err != nil {
		t.Fatal(err)
	}

	if err := runTiny(context.Background(), t, out, "--seed", "2"); err != nil {
		t.Fatal(err)
	}
	if got := keys(tree(t, out)); !reflect.DeepEqual(got, freshRun) {
		t.Errorf("the second run left %q, want %q", got, freshRun)
	}
	res, err := results.Read(filepath.Join(out, "results.json"))
	var c pipeline.Config
	if err == nil {
		err = json.Unmarshal(res.Config, &c)
	}
	if err != nil || c.Seed != 2 {
		t.Errorf("results.json after the second run: %v, seed %v, want 2", err, c.Seed)
	}
	noTemporaries(t, parent, out)

	// Without the manifest the run is one of an earlier version.
	if err := os.Remove(filepath.Join(out, manifestName)); err != nil {
		t.Fatal(err)
	}
	err = runTiny(context.Background(), t, out, "--seed", "3")
	if err == nil || !strings.Contains(err.Error(), "holds a sobolev run without the .sobolev-run.json that marks a finished run") || !strings.Contains(err.Error(), "pass --force") {
		t.Errorf("run into a run without manifest: error %v", err)
	}
	if err := runTiny(context.Background(), t, out, "--seed", "3", "--force"); err != nil {
		t.Fatal(err)
	}
	if got := keys(tree(t, out)); !reflect.DeepEqual(got, freshRun) {
		t.Errorf("the forced run left %q, want %q", got, freshRun)
	}

	// A configuration file that the run would replace is refused, also
	// through a symbolic link.
	cfg := filepath.Join(out, "run.log")
	if err := os.WriteFile(cfg, []byte(tinyConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(parent, "tiny.yaml")
	if err := os.Symlink(cfg, link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{cfg, link} {
		_, _, err := runSobolev(context.Background(), "run", "--config", c, "--out", out)
		if want := "run: --config " + c + " is " + cfg + ", which the run replaces; copy it elsewhere or choose another --out"; err == nil || err.Error() != want {
			t.Errorf("--config inside the run it replaces:\nerror %v\nwant  %s", err, want)
		}
	}
	if b, _ := os.ReadFile(cfg); string(b) != tinyConfig {
		t.Errorf("the refused run changed its configuration file to %q", b)
	}
}

// TestRunOutForceKeepsForeign checks that --force keeps files sobolev did
// not write, also inside the run's folders, and that a foreign file where
// the run writes one is refused even with --force.
func TestRunOutForceKeepsForeign(t *testing.T) {
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if err := runTiny(context.Background(), t, out); err != nil {
		t.Fatal(err)
	}
	notes := map[string]string{"notes.txt": "mine", "report/comments.md": "mine too"}
	for name, text := range notes {
		if err := os.WriteFile(filepath.Join(out, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := runTiny(context.Background(), t, out, "--seed", "5"); err == nil || !strings.Contains(err.Error(), "pass --force") {
		t.Errorf("run into a run with notes: error %v, want one saying to pass --force", err)
	}
	if err := runTiny(context.Background(), t, out, "--seed", "5", "--force"); err != nil {
		t.Fatal(err)
	}
	got := tree(t, out)
	for name, text := range notes {
		if string(got[name]) != text {
			t.Errorf("--force changed %s: %q, want %q", name, got[name], text)
		}
		delete(got, name)
	}
	if k := keys(got); !reflect.DeepEqual(k, freshRun) {
		t.Errorf("the forced run left %q besides the notes, want %q", k, freshRun)
	}
	if b := got[manifestName]; bytes.Contains(b, []byte("notes")) || bytes.Contains(b, []byte("comments")) {
		t.Errorf("the manifest lists the notes: %s", b)
	}
	noTemporaries(t, parent, out)

	// A foreign file in the way.
	other := filepath.Join(parent, "other")
	if err := os.MkdirAll(filepath.Join(other, "models"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "models", "pruned.onnx"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := runTiny(context.Background(), t, other, "--force")
	if err == nil || !strings.Contains(err.Error(), filepath.Join(other, "models", "pruned.onnx")+" is in the way of a file the run writes and is not one sobolev wrote") {
		t.Errorf("--force with a foreign models/pruned.onnx: error %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(other, "models", "pruned.onnx")); string(b) != "mine" {
		t.Errorf("the foreign file now holds %q", b)
	}
}

// TestRunOutInterrupted cancels runs in the middle, into a finished run, a
// folder with notes (--force) and a missing folder, and checks that each is
// left byte for byte as it was, without temporary folders.
func TestRunOutInterrupted(t *testing.T) {
	parent := t.TempDir()
	finished := filepath.Join(parent, "finished")
	if err := runTiny(context.Background(), t, finished); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(parent, "notes")
	if err := os.Mkdir(notes, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(notes, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(parent, "missing", "run")
	for _, tc := range []struct {
		out   string
		force bool
	}{{finished, false}, {notes, true}, {missing, false}} {
		var before map[string][]byte
		if _, err := os.Stat(tc.out); err == nil {
			before = tree(t, tc.out)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			args := []string{"--seed", "9"}
			if tc.force {
				args = append(args, "--force")
			}
			done <- runTiny(ctx, t, tc.out, args...)
		}()
		// Cancel once the large nets are saved in the temporary folder.
		pattern := filepath.Join(filepath.Dir(tc.out), "*"+filepath.Base(tc.out)+".sobolev-tmp-*", filepath.Base(tc.out), "models", "large-sobolev.onnx")
		if before != nil {
			pattern = filepath.Join(tc.out, ".sobolev-tmp-*", filepath.Base(tc.out), "models", "large-sobolev.onnx")
		}
		deadline := time.Now().Add(time.Minute)
		for {
			if m, _ := filepath.Glob(pattern); len(m) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("%s: cancelled run returned %v, want context.Canceled", tc.out, err)
		}
		if before == nil {
			if _, err := os.Stat(filepath.Dir(tc.out)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s: the cancelled run left the folder it made (%v)", tc.out, err)
			}
		} else if after := tree(t, tc.out); !reflect.DeepEqual(after, before) {
			t.Errorf("%s: the cancelled run changed the folder: %q, was %q", tc.out, keys(after), keys(before))
		}
		noTemporaries(t, parent)
	}
}

// TestRunOutSymlink checks that an --out that is a symbolic link to a folder
// stays one, and the run goes into the folder.
func TestRunOutSymlink(t *testing.T) {
	parent := t.TempDir()
	target := filepath.Join(parent, "target")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(parent, "link")
	if err := os.Symlink("target", link); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := runTiny(context.Background(), t, link); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("--out %s is no longer a symbolic link: %v (%v)", link, fi.Mode(), err)
	}
	if got := keys(tree(t, target)); !reflect.DeepEqual(got, freshRun) {
		t.Errorf("the link's folder holds %q, want %q", got, freshRun)
	}
	noTemporaries(t, parent, target)
}

// TestRunOutDot checks a run into the working folder, empty and then a
// finished run: the folder itself stays (a shell in it is not left in a
// removed folder).
func TestRunOutDot(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	before, err := os.Stat(".")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := runTiny(context.Background(), t, "."); err != nil {
			t.Fatal(err)
		}
	}
	if got := keys(tree(t, dir)); !reflect.DeepEqual(got, freshRun) {
		t.Errorf("the folder holds %q, want %q", got, freshRun)
	}
	if after, err := os.Stat(dir); err != nil || !os.SameFile(before, after) {
		t.Errorf("the working folder was replaced (%v)", err)
	}
}
