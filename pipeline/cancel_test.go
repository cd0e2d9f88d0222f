package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRunCancelWhileSampling cancels a run while it draws a large training
// set and checks that Run returns context.Canceled promptly, without
// writing the data files. Before the fix it drew the whole set (seconds).
func TestRunCancelWhileSampling(t *testing.T) {
	if testing.Short() {
		t.Skip("draws part of a training set of 2·10⁶ samples")
	}
	cfg := Quick()
	cfg.Train = 2_000_000
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, cfg, out, Hooks{})
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	cancel()
	cancelled := time.Now()
	select {
	case err := <-done:
		stop := time.Since(cancelled)
		t.Logf("Run returned %v after the cancellation", stop.Round(time.Millisecond))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
		if stop > 500*time.Millisecond {
			t.Errorf("Run returned %v after the cancellation, want well under 0.5 s", stop)
		}
	case <-time.After(time.Minute):
		t.Fatal("cancelled run still running after a minute")
	}
	if entries, _ := os.ReadDir(filepath.Join(out, "data")); len(entries) != 0 {
		t.Errorf("cancelled run wrote %d files into data, want none", len(entries))
	}
}
