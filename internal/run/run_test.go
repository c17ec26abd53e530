package run

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestOutputAndStderrTail(t *testing.T) {
	out, err := Output(context.Background(), Cmd{Name: "echo", Args: []string{"hello"}})
	if err != nil || strings.TrimSpace(string(out)) != "hello" {
		t.Fatalf("Output = %q, %v", out, err)
	}
	err = Run(context.Background(), Cmd{Name: "sh", Args: []string{"-c", "echo boom >&2; exit 3"}})
	var re *Error
	if !errors.As(err, &re) || !strings.Contains(re.Stderr, "boom") || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("want stderr tail in error, got %v", err)
	}
}

// A cancelled context must kill grandchildren too, not only the direct child.
func TestCancelKillsProcessGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- Run(ctx, Cmd{Name: "sh", Args: []string{"-c", "sleep 60 & echo $! > " + pidFile + "; wait"}})
	}()
	var pid int
	for i := 0; i < 100; i++ {
		if b, err := os.ReadFile(pidFile); err == nil && len(b) > 1 {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if pid == 0 {
		t.Fatal("grandchild did not start")
	}
	cancel()
	if err := <-errc; !IsCanceled(err) {
		t.Fatalf("want cancellation error, got %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("grandchild %d still alive after cancel", pid)
}
