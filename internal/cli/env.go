package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kilnhq/kiln/internal/client"
)

// Env is what a client command runs with.
type Env struct {
	Client *client.Client
	User   string // {uid} in the paths
	Out    io.Writer
	Err    io.Writer
	In     io.Reader
	JSON   bool // --output json
	// Interactive: In is a terminal, so questions can be asked.
	Interactive bool
	// Interrupts delivers Ctrl-C (and SIGTERM) while a generation is
	// followed; nil when nobody listens.
	Interrupts <-chan os.Signal
	// PollInterval is the delay between status reads (default 2 s, hammr's).
	PollInterval time.Duration
	// ErrTTY: Err is a terminal, so progress bars redraw in place.
	ErrTTY bool
	// CACert is the PEM file of the CA the client trusts for the server
	// (Settings.CACert); scan run --ip hands it to the agent too.
	CACert string
	Now    func() time.Time

	in *bufio.Reader
}

// NewEnv fills an Env for c and user, detecting terminals on the standard streams.
func NewEnv(c *client.Client, user string, in io.Reader, out, errw io.Writer, jsonOut bool) *Env {
	return &Env{Client: c, User: user, In: in, Out: out, Err: errw, JSON: jsonOut,
		Interactive: IsTerminal(in), ErrTTY: IsTerminal(errw)}
}

// IsTerminal reports whether v is an *os.File on a terminal.
func IsTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// terminalWidth is the width of the terminal behind w, or 80.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 20 {
			return int(ws.Col)
		}
	}
	return 80
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Env) poll() time.Duration {
	if e.PollInterval > 0 {
		return e.PollInterval
	}
	return 2 * time.Second
}

// Warn prints a warning on stderr.
func (e *Env) Warn(format string, args ...any) {
	fmt.Fprintf(e.Err, "Warning: "+format+"\n", args...)
}

// Info prints a message for people: on stderr with --output json (stdout
// is the JSON), on stdout otherwise.
func (e *Env) Info(format string, args ...any) {
	w := e.Out
	if e.JSON {
		w = e.Err
	}
	fmt.Fprintf(w, format+"\n", args...)
}

// readLine reads one line of In; io.EOF when there is none.
func (e *Env) readLine() (string, error) {
	if e.In == nil {
		return "", io.EOF
	}
	if e.in == nil {
		e.in = bufio.NewReader(e.In)
	}
	line, err := e.in.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// Confirm asks question on stderr and reads the answer: yes only for y/yes.
// Without an answer (end of input) it is no.
func (e *Env) Confirm(question string) bool {
	fmt.Fprintf(e.Err, "%s [y/N] ", question)
	ans, err := e.readLine()
	if err != nil {
		fmt.Fprintln(e.Err)
		return false
	}
	ans = strings.ToLower(ans)
	return ans == "y" || ans == "yes"
}

// ErrNotConfirmed is returned when a question was answered no.
var ErrNotConfirmed = errors.New("not confirmed: nothing done (--no-prompt skips the question)")

// confirmOrSkip asks unless noPrompt.
func (e *Env) confirmOrSkip(noPrompt bool, question string) error {
	if noPrompt || e.Confirm(question) {
		return nil
	}
	return ErrNotConfirmed
}

// Table prints rows under headers, aligned; with no rows it prints empty.
func (e *Env) Table(headers []string, rows [][]string, empty string) {
	if len(rows) == 0 {
		fmt.Fprintln(e.Out, empty)
		return
	}
	tw := tabwriter.NewWriter(e.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	for _, r := range rows {
		for i := range r {
			r[i] = strings.NewReplacer("\t", " ", "\n", " ").Replace(r[i])
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// PrintJSON writes v as indented JSON on stdout.
func (e *Env) PrintJSON(v any) error {
	enc := json.NewEncoder(e.Out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	return client.Sleep(ctx, d)
}

// fmtTime formats a server time for tables.
func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// fmtSize formats a byte count (1.5 MB, 340 KB, 12 B), as hammr's size_format.
func fmtSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "KMGTP"[exp])
}

// mark is hammr's "X" column.
func mark(b bool) string {
	if b {
		return "X"
	}
	return ""
}
