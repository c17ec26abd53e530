package qemutest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// WaitFor waits until re matches the console output that follows the previous
// match (expect-style: each match consumes the output up to its end) and returns
// the matched text. It fails when ctx ends or qemu exits first; the error
// carries the tail of the console.
func (vm *VM) WaitFor(ctx context.Context, re *regexp.Regexp) (string, error) {
	m, _, err := vm.waitSubmatch(ctx, re)
	if err != nil {
		return "", err
	}
	return m[0], nil
}

func (vm *VM) waitSubmatch(ctx context.Context, re *regexp.Regexp) ([]string, int, error) {
	for {
		vm.mu.Lock()
		rest := vm.console[vm.cursor:]
		if loc := re.FindSubmatchIndex(rest); loc != nil {
			subs := make([]string, len(loc)/2)
			for i := range subs {
				if loc[2*i] >= 0 {
					subs[i] = string(rest[loc[2*i]:loc[2*i+1]])
				}
			}
			start := vm.cursor + loc[0]
			vm.cursor += loc[1]
			vm.mu.Unlock()
			return subs, start, nil
		}
		changed, readErr := vm.changed, vm.readErr
		vm.mu.Unlock()
		if readErr != nil {
			return nil, 0, fmt.Errorf("qemutest: console closed while waiting for %q (%v)%s", re, readErr, vm.tail())
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, 0, fmt.Errorf("qemutest: waiting for %q: %w%s", re, ctx.Err(), vm.tail())
		case <-vm.done:
			// Drain what the reader may still deliver, then give up.
			select {
			case <-changed:
				continue
			default:
			}
			return nil, 0, fmt.Errorf("qemutest: qemu exited (%v) while waiting for %q%s", vm.exitErr, re, vm.tail())
		}
	}
}

func (vm *VM) tail() string {
	c := vm.Console()
	if len(c) > 2000 {
		c = c[len(c)-2000:]
	}
	return "\n--- console tail ---\n" + c
}

var (
	// ansiRe matches terminal control sequences (bash's bracketed-paste toggles,
	// colours), which are not part of a command's output.
	ansiRe     = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)
	loginRe    = regexp.MustCompile(`login: $|login: `)
	passwordRe = regexp.MustCompile(`Password: `)
	shellRe    = regexp.MustCompile(`Login incorrect|[#$] `)
)

// Login waits for the getty's "login:" prompt on the serial console and logs in.
// Afterwards the shell is made quiet for Run: no echo, empty prompts, and kernel
// messages silenced on the console (dmesg -n 1) so they do not interleave.
func (vm *VM) Login(ctx context.Context, user, password string) error {
	if _, err := vm.WaitFor(ctx, loginRe); err != nil {
		return fmt.Errorf("qemutest: login: %w", err)
	}
	if _, err := vm.Write([]byte(user + "\n")); err != nil {
		return fmt.Errorf("qemutest: login: type user: %w", err)
	}
	if _, err := vm.WaitFor(ctx, passwordRe); err != nil {
		return fmt.Errorf("qemutest: login: %w", err)
	}
	if _, err := vm.Write([]byte(password + "\n")); err != nil {
		return fmt.Errorf("qemutest: login: type password: %w", err)
	}
	m, err := vm.WaitFor(ctx, shellRe)
	if err != nil {
		return fmt.Errorf("qemutest: login: %w", err)
	}
	if m == "Login incorrect" {
		return errors.New("qemutest: login: Login incorrect")
	}
	// On the console itself: stty sets the terminal it reads.
	if _, err := vm.run(ctx, "stty -echo; PS1= PS2=; unset PROMPT_COMMAND; bind 'set enable-bracketed-paste off' 2>/dev/null; dmesg -n 1 2>/dev/null; true", false); err != nil {
		return fmt.Errorf("qemutest: login: prepare shell: %w", err)
	}
	return nil
}

// Run types cmd into the logged-in shell and returns what it printed (CRs
// removed, trailing newline trimmed). A non-zero exit status is an error that
// still comes with the output. The markers around the output are produced by
// printf from split arguments, so the echo of the typed line never matches them.
func (vm *VM) Run(ctx context.Context, cmd string) (string, error) {
	return vm.run(ctx, cmd, true)
}

// run types cmd; with noStdin its standard input is /dev/null.
func (vm *VM) run(ctx context.Context, cmd string, noStdin bool) (string, error) {
	if strings.ContainsAny(cmd, "\n\r") {
		return "", errors.New("qemutest: run: the command must be one line")
	}
	vm.mu.Lock()
	vm.markers++
	n := strconv.Itoa(vm.markers)
	vm.mu.Unlock()
	// One line: the shell reads all of it before running anything, so no
	// typed input waits on the console while the command runs (sudo, with
	// Debian's use_pty, relays and so swallows the console's pending input).
	// The command's own stdin is /dev/null for the same reason.
	if noStdin {
		cmd = "{ " + cmd + "; } </dev/null"
	}
	line := fmt.Sprintf("printf '%%s-%%s\\n' KILNBEGIN %s; %s; printf '%%s-%%s-%%s\\n' KILNEND %s $?\n", n, cmd, n)
	if _, err := vm.Write([]byte(line)); err != nil {
		return "", fmt.Errorf("qemutest: run: %w", err)
	}
	if _, err := vm.WaitFor(ctx, regexp.MustCompile(`KILNBEGIN-`+n+`\r?\n`)); err != nil {
		return "", fmt.Errorf("qemutest: run %q: %w", cmd, err)
	}
	m, _, err := vm.waitSubmatch(ctx, regexp.MustCompile(`(?s)^(.*?)KILNEND-`+n+`-(\d+)\r?\n`))
	if err != nil {
		return "", fmt.Errorf("qemutest: run %q: %w", cmd, err)
	}
	out := ansiRe.ReplaceAllString(m[1], "")
	out = strings.TrimRight(strings.ReplaceAll(out, "\r", ""), "\n")
	// With echo on, the typed second line shows up before its output; drop it.
	out = strings.TrimSuffix(out, fmt.Sprintf("printf '%%s-%%s-%%s\\n' KILNEND %s $?", n))
	out = strings.TrimRight(out, "\n")
	if m[2] != "0" {
		return out, fmt.Errorf("qemutest: run %q: exit status %s: %s", cmd, m[2], out)
	}
	return out, nil
}
