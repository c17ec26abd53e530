// Package run executes external tools (mmdebstrap, mkfs.ext4, grub-mkimage, qemu-img …)
// with explicit arguments, each in its own process group so that cancelling the
// context kills the whole tree, and keeps the tail of stderr for error messages.
package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stderrTail is how much of a tool's stderr an error message carries.
const stderrTail = 4096

// Cmd describes one invocation. Name and Args are passed to exec without a shell.
type Cmd struct {
	Name   string
	Args   []string
	Dir    string
	Env    []string  // appended to the current environment when non-nil
	Stdin  io.Reader // optional
	Stdout io.Writer // optional; when nil, stdout is kept and returned by Output
	Stderr io.Writer // optional extra sink; the tail is always kept for errors
	// Nice is the scheduling niceness of the tool's process group (0 = default:
	// batchNice). Image builds are batch work: they must never make the API
	// slow to answer the clients polling them.
	Nice int
}

// batchNice is the default niceness of tools.
const batchNice = 10

// Error is returned when a tool exits non-zero or cannot start.
type Error struct {
	Cmd    string
	Err    error
	Stderr string // last bytes of stderr
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: %v", e.Cmd, e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + s
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Run executes c and waits for it. When ctx is done the process group gets SIGTERM,
// then SIGKILL after a short grace period, and ctx.Err() is returned (wrapped).
func Run(ctx context.Context, c Cmd) error {
	_, err := run(ctx, c)
	return err
}

// Output executes c and returns what it wrote to stdout.
func Output(ctx context.Context, c Cmd) ([]byte, error) {
	return run(ctx, c)
}

func run(ctx context.Context, c Cmd) ([]byte, error) {
	cmd := exec.Command(c.Name, c.Args...)
	cmd.Dir = c.Dir
	if c.Env != nil {
		cmd.Env = append(cmd.Environ(), c.Env...)
	}
	cmd.Stdin = c.Stdin
	var stdout bytes.Buffer
	if c.Stdout != nil {
		cmd.Stdout = c.Stdout
	} else {
		cmd.Stdout = &stdout
	}
	tail := &tailBuffer{max: stderrTail}
	if c.Stderr != nil {
		cmd.Stderr = io.MultiWriter(tail, c.Stderr)
	} else {
		cmd.Stderr = tail
	}
	// Own process group: cancel kills the whole tree. Pdeathsig: if Kiln itself
	// dies (kill -9), the tool dies with it instead of writing on as an orphan.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	label := c.Name
	if err := ctx.Err(); err != nil {
		return nil, &Error{Cmd: label, Err: err}
	}
	if err := cmd.Start(); err != nil {
		return nil, &Error{Cmd: label, Err: err}
	}
	nice := c.Nice
	if nice == 0 {
		nice = batchNice
	}
	// The group is the tool and everything it forks from now on.
	_ = syscall.Setpriority(syscall.PRIO_PGRP, cmd.Process.Pid, nice)
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			killGroup(cmd.Process.Pid, done)
		case <-done:
		}
	}()
	err := cmd.Wait()
	close(done)
	if ctx.Err() != nil {
		// Make sure nothing of the group survives, even if the leader exited first.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		return nil, &Error{Cmd: label, Err: ctx.Err(), Stderr: tail.String()}
	}
	if err != nil {
		return nil, &Error{Cmd: label, Err: err, Stderr: tail.String()}
	}
	return stdout.Bytes(), nil
}

// killGroup sends SIGTERM to the process group, then SIGKILL if it is still
// alive after a grace period.
func killGroup(pgid int, done <-chan struct{}) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(3 * time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// IsCanceled reports whether err comes from a cancelled or timed-out context.
func IsCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
