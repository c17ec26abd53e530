package queue_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/queue"
	"github.com/kilnhq/kiln/internal/store"
)

// The test binary doubles as a worker process that a test kills with SIGKILL.
const (
	childEnv         = "KILN_QUEUE_CHILD_DSN"
	childAttemptsEnv = "KILN_QUEUE_CHILD_ATTEMPTS"
	childImageEnv    = "KILN_QUEUE_CHILD_IMAGE"
)

// runChild starts a queue on $KILN_QUEUE_CHILD_DSN, enqueues image $KILN_QUEUE_CHILD_IMAGE, prints
// "job N" and "running" once the handler has started, then blocks forever.
func runChild() int {
	ctx := context.Background()
	dsn := os.Getenv(childEnv)
	attempts, _ := strconv.Atoi(os.Getenv(childAttemptsEnv))
	image, _ := strconv.ParseInt(os.Getenv(childImageEnv), 10, 64)
	st, err := store.Open(ctx, dsn, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	q, err := queue.New(ctx, st, dsn, queue.Config{
		RunWorkers: true, MaxAttempts: attempts, PollInterval: 100 * time.Millisecond,
		Handler: func(ctx context.Context, imageID int64) error {
			fmt.Println("running")
			select {} // a build the kill interrupts
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	if err := q.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	id, err := q.Enqueue(ctx, image)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	fmt.Printf("job %d\n", id)
	select {}
}

// killedWorker runs a child worker, waits until its handler runs, kills it
// with SIGKILL and returns the id of the job it left running.
func killedWorker(t *testing.T, d db, imageID int64, maxAttempts int) int64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+d.dsn,
		childAttemptsEnv+"="+strconv.Itoa(maxAttempts), childImageEnv+"="+strconv.FormatInt(imageID, 10))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	killed := false
	t.Cleanup(func() { // however the test ends, the child does not outlive it
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	var jobID int64
	deadline := time.After(15 * time.Second)
	for running := false; !running || jobID == 0; {
		var line string
		var ok bool
		select {
		case line, ok = <-lines:
		case <-deadline:
			t.Fatal("child worker: handler did not start within 15s")
		}
		if !ok {
			t.Fatal("child exited before its handler ran")
		}
		switch {
		case line == "running":
			running = true
		case strings.HasPrefix(line, "job "):
			jobID, _ = strconv.ParseInt(strings.TrimPrefix(line, "job "), 10, 64)
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup of any kind
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed = true
	return jobID
}

// TestKilledWorker: a job whose worker process was killed -9 is retried when
// attempts remain and failed with a readable error otherwise; never left
// running. SQLite rescues at Start; PostgreSQL once RescueAfter has passed.
func TestKilledWorker(t *testing.T) {
	eachBackend(t, func(t *testing.T, d db) {
		for _, tc := range []struct {
			attempts int
			want     queue.State
		}{{2, queue.StateCompleted}, {1, queue.StateFailed}} {
			t.Run(fmt.Sprintf("max_attempts_%d", tc.attempts), func(t *testing.T) {
				sub := d
				if d.name == "sqlite" {
					sub.dsn = strings.TrimSuffix(d.dsn, ".db") + strconv.Itoa(tc.attempts) + ".db"
				}
				image := int64(70 + tc.attempts)
				jobID := killedWorker(t, sub, image, tc.attempts)

				st := openStore(t, sub)
				fin := newFinals()
				ran := make(chan int64, 2)
				t0 := time.Now()
				q := startQueue(t, st, sub, queue.Config{
					RunWorkers: true, OnFinal: fin.record,
					// Small enough for PostgreSQL's time-based rescue to act within the test.
					JobTimeout: time.Second, RescueAfter: time.Second,
					Handler: func(ctx context.Context, imageID int64) error { ran <- imageID; return nil },
				})
				f := fin.wait(t, jobID, 10*time.Second)
				t.Logf("%s: killed job %d → %s (attempt %d) %s after restart: %q",
					d.name, jobID, f.State, f.Attempt, time.Since(t0).Round(time.Millisecond), f.Error)
				if f.State != tc.want {
					t.Fatalf("final = %+v, want %s", f, tc.want)
				}
				switch tc.want {
				case queue.StateCompleted:
					if got := recv(t, ran, time.Second, "retry"); got != image || f.Attempt != 2 {
						t.Fatalf("retry ran image %d at attempt %d", got, f.Attempt)
					}
				case queue.StateFailed:
					if !strings.Contains(f.Error, "worker died") {
						t.Fatalf("error %q does not say the worker died", f.Error)
					}
					if s := status(t, q, jobID); s.State != queue.StateFailed {
						t.Fatalf("status = %+v", s)
					}
				}
			})
		}
	})
}
