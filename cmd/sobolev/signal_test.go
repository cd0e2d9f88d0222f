//go:build unix

package main

import (
	"bufio"
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sobolev-pruning/sobolev/mlp"
	"github.com/sobolev-pruning/sobolev/onnx"
)

// buildSobolev builds the command into a temporary folder and returns its path.
func buildSobolev(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sobolev")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// interrupt runs bin with args in dir, waits until a line of its output
// contains wait (if wait is not "") or a file matches the pattern
// waitFile (if it is not "", relative to dir), and then for delay, sends
// sig and returns the exit status, the time from the signal to the exit and
// the standard error. ok is false if the command ended before the signal.
func interrupt(t *testing.T, dir, bin string, env []string, wait, waitFile string, delay time.Duration, sig syscall.Signal, args ...string) (status int, took time.Duration, stderr string, ok bool) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Lines of both outputs go to lines; standard error also to errText.
	lines := make(chan string, 1000)
	var errText strings.Builder
	var wg sync.WaitGroup
	for _, p := range []io.Reader{outPipe, errPipe} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(p)
			for sc.Scan() {
				if p == errPipe {
					errText.WriteString(sc.Text() + "\n")
				}
				lines <- sc.Text()
			}
		}()
	}
	go func() {
		wg.Wait()
		close(lines)
	}()
	finish := func() {
		for range lines {
		}
		cmd.Wait()
	}
	for seen := wait == ""; !seen; {
		l, more := <-lines
		if !more {
			finish()
			return cmd.ProcessState.ExitCode(), 0, errText.String(), false
		}
		seen = strings.Contains(l, wait)
	}
	for waitFile != "" {
		if m, _ := filepath.Glob(filepath.Join(dir, waitFile)); len(m) > 0 {
			break
		}
		select {
		case _, more := <-lines:
			if !more {
				finish()
				return cmd.ProcessState.ExitCode(), 0, errText.String(), false
			}
		case <-time.After(time.Millisecond):
		}
	}
	time.Sleep(delay)
	start := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	finish()
	return cmd.ProcessState.ExitCode(), time.Since(start), errText.String(), true
}

// noTemporaryFiles fails if a temporary file or folder of sobolev is under dir.
func noTemporaryFiles(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		name := d.Name()
		if err == nil && (strings.Contains(name, ".tmp") || strings.HasPrefix(name, ".sobolev-") && name != manifestName ||
			strings.Contains(name, ".sobolev-tmp-") || strings.HasPrefix(name, ".report-")) {
			t.Errorf("%s is left behind", p)
		}
		return err
	})
}

// TestSignals runs the built command, interrupts it with SIGINT, SIGTERM
// and SIGHUP in every long stage, and checks that it exits within a second
// (2 s to leave room for a loaded machine) with 128 + the signal's number,
// the message, and no temporary file or folder left.
func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the command and runs it on large data and a wide model")
	}
	bin := buildSobolev(t)
	dir := t.TempDir()

	// A wide model, whose IASA takes seconds per box: 400 inputs, 2 × 128.
	wide := mlp.New(400, []int{128, 128}, mlp.SiLU)
	wide.Init(mlp.XavierUniform, 1)
	if err := onnx.Save(filepath.Join(dir, "wide.onnx"), wide); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runSobolev(context.Background(), "data", "bachelier", "--dims", "3", "--train", "512", "--out", filepath.Join(dir, "small")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tiny.yaml"), []byte(strings.Replace(tinyConfig, "epochs: 3", "epochs: 1000", 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	type stage struct {
		name           string
		wait, waitFile string
		delay          time.Duration
		env            []string
		args           []string
	}
	// The data command writes the arrays of train.npz to part files while
	// it samples, and the archive to .train.npz.tmp-* once it has all.
	big := []string{"data", "bachelier", "--dims", "30", "--train", "1000000", "--out", "big"}
	stages := []stage{
		{"data: sampling", "", "big/.sobolev-data-*/.train.npz.x-*", 100 * time.Millisecond, nil, big},
		{"data: writing the archive", "", "big/.sobolev-data-*/.train.npz.tmp-*", 0, nil, big},
		{"prune: IASA of a 400-input net", "", "", time.Second, []string{"GOMAXPROCS=1"},
			[]string{"prune", "--model", "wide.onnx", "--box", "0:1", "--fold", "zero", "--keep", "4", "--boxes", "2", "--out", "pruned.onnx"}},
		{"train", "", "", 500 * time.Millisecond, nil,
			[]string{"train", "--data", "small/train.npz", "--hidden", "64,64", "--epochs", "100000", "--out", "model.onnx"}},
		{"run", "[3/6] pruned", "", 0, nil, []string{"run", "--config", "tiny.yaml", "--out", "run"}},
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		name := interrupted{sig}.Error()
		for _, s := range stages {
			status, took, stderr, ok := interrupt(t, dir, bin, s.env, s.wait, s.waitFile, s.delay, sig, s.args...)
			if !ok {
				t.Logf("%s, %s: the command ended before the signal (status %d):\n%s", s.name, name, status, stderr)
				continue
			}
			t.Logf("%s, %s: exit %d after %v", s.name, name, status, took.Round(time.Millisecond))
			if want := 128 + int(sig); status != want {
				t.Errorf("%s, %s: exit status %d, want %d\n%s", s.name, name, status, want, stderr)
			}
			if took > 2*time.Second {
				t.Errorf("%s, %s: exited %v after the signal, want within 1 s", s.name, name, took)
			}
			if want := "sobolev: interrupted (" + name + "); no partial files were left behind\n"; !strings.HasSuffix(stderr, want) {
				t.Errorf("%s, %s: standard error ends\n%s\nwant %q", s.name, name, stderr[max(0, len(stderr)-300):], want)
			}
			noTemporaryFiles(t, dir)
			for _, f := range []string{"big", "pruned.onnx", "model.onnx", "run"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
					t.Errorf("%s, %s: %s was left behind", s.name, name, f)
				}
			}
		}
	}
}
