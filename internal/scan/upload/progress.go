package upload

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress prints the overlay's progress: files archived (the archiver's
// goroutine) and bytes acknowledged by the server (the uploader's), at most
// once per interval, so a detached agent's log stays readable.
type progress struct {
	w        io.Writer
	interval time.Duration
	start    time.Time

	mu           sync.Mutex
	files, bytes int64
	last         time.Time
}

func newProgress(w io.Writer, interval time.Duration) *progress {
	if interval <= 0 {
		interval = time.Second
	}
	now := time.Now()
	return &progress{w: w, interval: interval, start: now, last: now}
}

func (p *progress) archived(files, _ int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.files = files
	p.maybePrint()
}

func (p *progress) sent(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bytes = n
	p.maybePrint()
}

func (p *progress) maybePrint() {
	if p.w == nil {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < p.interval {
		return
	}
	p.last = now
	p.print(now, "")
}

// finish prints the last line, whatever the interval.
func (p *progress) finish(ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil {
		return
	}
	suffix := ", done"
	if !ok {
		suffix = ", failed"
	}
	p.print(time.Now(), suffix)
}

func (p *progress) print(now time.Time, suffix string) {
	mib := float64(p.bytes) / (1 << 20)
	secs := now.Sub(p.start).Seconds()
	rate := 0.0
	if secs > 0 {
		rate = mib / secs
	}
	fmt.Fprintf(p.w, "overlay: %d files, %.1f MiB sent, %.1f MiB/s%s\n", p.files, mib, rate, suffix)
}
