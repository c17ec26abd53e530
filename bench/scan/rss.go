package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// A child's ru_maxrss is at least this process's own peak RSS: Go starts
// children with clone(CLONE_VM|CLONE_VFORK), and at execve Linux folds the
// high-water mark of the mm being left (ours, shared) into the child's maxrss.
// For small children (tar, curl) that hides their real figure behind ours.
//
// rssWatch therefore also samples the child's own VmHWM (the high-water mark
// of the mm it got at exec) from /proc every few milliseconds. Its peak is
// ru_maxrss when that exceeds our own high-water mark at the child's start
// (then the child set it, exactly), and the last sample otherwise.
type rssWatch struct {
	pid       int
	parentHWM int64 // KiB, ours when the child started
	sampled   atomic.Int64
	stop      chan struct{}
	done      chan struct{}
}

// selfHWM is our own VmHWM in KiB; call it before starting the child.
func selfHWM() int64 { return readHWM("self") }

// watchRSS starts sampling a child that has just been started (its exec has
// happened: exec.Cmd.Start returns after it).
func watchRSS(p *os.Process, parentHWM int64) *rssWatch {
	w := &rssWatch{pid: p.Pid, parentHWM: parentHWM, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := readHWM(strconv.Itoa(w.pid)); v > w.sampled.Load() {
				w.sampled.Store(v)
			}
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// peakMiB stops sampling and returns the child's peak RSS in MiB; ps is its
// state once waited for.
func (w *rssWatch) peakMiB(ps *os.ProcessState) float64 {
	close(w.stop)
	<-w.done
	kib := w.sampled.Load()
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok && ru.Maxrss > w.parentHWM {
		kib = ru.Maxrss
	}
	return float64(kib) / 1024
}

// readHWM reads VmHWM (KiB) of /proc/<pid>/status; 0 when gone.
func readHWM(pid string) int64 {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var v int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), &v)
			return v
		}
	}
	return 0
}
