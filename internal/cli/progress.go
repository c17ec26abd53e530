package cli

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Bar is a progress bar on stderr. On a terminal it redraws one line in
// place: label, bar, percentage (or bytes and rate), ETA and the stage
// message. Elsewhere (a log, a pipe) it prints a line when the percentage or
// the message changes, at most one per percent step of 10 for byte counts.
type Bar struct {
	w     io.Writer
	tty   bool
	width int
	label string
	now   func() time.Time
	start time.Time

	pct      int
	msg      string
	drawn    bool
	lastDraw time.Time
	lastLine string
	lastStep int64 // bytes mode, non-tty: last 10% step printed
}

// NewBar starts a bar labelled label.
func NewBar(w io.Writer, tty bool, label string, now func() time.Time) *Bar {
	if now == nil {
		now = time.Now
	}
	b := &Bar{w: w, tty: tty, label: label, now: now, start: now(), pct: -1, lastStep: -1}
	if tty {
		b.width = terminalWidth(w)
	}
	return b
}

// eta estimates the time left from the elapsed time and the fraction done.
func eta(elapsed time.Duration, done float64) string {
	if done <= 0 || done >= 1 || elapsed < time.Second {
		return ""
	}
	left := time.Duration(float64(elapsed) * (1 - done) / done).Round(time.Second)
	return "ETA " + left.String()
}

func bar(width int, done float64) string {
	if width < 5 {
		return ""
	}
	fill := int(done * float64(width))
	fill = max(0, min(width, fill))
	s := strings.Repeat("=", fill)
	if fill < width {
		s += ">" + strings.Repeat(" ", width-fill-1)
	}
	return "[" + s + "]"
}

// Percent shows a generation's progress: pct (0–100) and the stage message.
func (b *Bar) Percent(pct int, msg string) {
	pct = max(0, min(100, pct))
	if !b.tty {
		if pct != b.pct || msg != b.msg {
			fmt.Fprintf(b.w, "%s: %3d%% %s\n", b.label, pct, msg)
		}
		b.pct, b.msg = pct, msg
		return
	}
	b.pct, b.msg = pct, msg
	left := fmt.Sprintf("%s %s %3d%%", b.label, bar(30, float64(pct)/100), pct)
	if e := eta(b.now().Sub(b.start), float64(pct)/100); e != "" {
		left += " " + e
	}
	b.draw(left + "  " + msg)
}

// Bytes shows a transfer: done of total bytes (total <= 0: unknown).
func (b *Bar) Bytes(done, total int64) {
	elapsed := b.now().Sub(b.start)
	frac := 0.0
	if total > 0 {
		frac = float64(done) / float64(total)
	}
	rate := ""
	if s := elapsed.Seconds(); s >= 0.5 {
		rate = fmtSize(int64(float64(done)/s)) + "/s"
	}
	if !b.tty {
		step := int64(frac * 10)
		if total <= 0 {
			step = done >> 26 // every 64 MiB
		}
		if step != b.lastStep {
			b.lastStep = step
			fmt.Fprintf(b.w, "%s: %s / %s %s\n", b.label, fmtSize(done), sizeOrUnknown(total), rate)
		}
		return
	}
	if b.drawn && b.now().Sub(b.lastDraw) < 100*time.Millisecond && done != total {
		return
	}
	line := fmt.Sprintf("%s %s %s / %s", b.label, bar(30, frac), fmtSize(done), sizeOrUnknown(total))
	if rate != "" {
		line += "  " + rate
	}
	if e := eta(elapsed, frac); e != "" {
		line += "  " + e
	}
	b.draw(line)
}

func sizeOrUnknown(n int64) string {
	if n <= 0 {
		return "?"
	}
	return fmtSize(n)
}

func (b *Bar) draw(line string) {
	if w := b.width - 1; w > 10 && len([]rune(line)) > w {
		line = string([]rune(line)[:w-1]) + "…"
	}
	if b.drawn && line == b.lastLine {
		return
	}
	fmt.Fprintf(b.w, "\r%s\033[K", line)
	b.drawn, b.lastDraw, b.lastLine = true, b.now(), line
}

// Break ends the bar's line so that other output can follow (a question, a
// message); the next update draws again.
func (b *Bar) Break() {
	if b.tty && b.drawn {
		fmt.Fprintln(b.w)
		b.drawn, b.lastLine = false, ""
	}
}

// Done ends the bar.
func (b *Bar) Done() { b.Break() }
