package scan

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// DefaultMinTempFree is the free space Preflight wants in the temporary directory
// by default: room for the report and the agent's working files.
const DefaultMinTempFree = 512 << 20

// Check is the outcome of one preflight check.
type Check struct {
	Name     string `json:"name"`
	OK       bool   `json:"ok"`
	Blocking bool   `json:"blocking"` // a failure stops the scan
	Detail   string `json:"detail"`
}

// Checks is a preflight's outcome; String renders it for a terminal (the agent's
// -P output, which hammr prints).
type Checks []Check

func (cs Checks) String() string {
	var b strings.Builder
	for _, c := range cs {
		mark := "OK  "
		switch {
		case !c.OK && c.Blocking:
			mark = "FAIL"
		case !c.OK:
			mark = "WARN"
		}
		fmt.Fprintf(&b, "[%s] %s: %s\n", mark, c.Name, c.Detail)
	}
	return b.String()
}

// PreflightOptions tunes Preflight.
type PreflightOptions struct {
	TempDir     string // the agent's working directory (-t); default os.TempDir()
	MinTempFree int64  // default DefaultMinTempFree
}

// Preflight checks that the system at root can be scanned: the root is readable,
// dpkg's database is there, the distribution is supported, the agent can read
// protected files, and the temporary directory is writable with enough room. It
// returns every check, and an error joining the failed blocking ones (wrapping
// ErrUnsupported when the distribution is the problem).
func Preflight(ctx context.Context, root string, opts PreflightOptions) (Checks, error) {
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
	}
	if opts.MinTempFree <= 0 {
		opts.MinTempFree = DefaultMinTempFree
	}
	var checks Checks
	var errs []error
	add := func(name string, blocking bool, detail string, err error) {
		c := Check{Name: name, OK: err == nil, Blocking: blocking, Detail: detail}
		if err != nil {
			c.Detail = err.Error()
			if blocking {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
		checks = append(checks, c)
	}

	t, err := newTree(root)
	if err == nil {
		_, err = readDirNames(t.root)
	}
	add("scan root", true, fmt.Sprintf("%s is readable", root), err)
	if err != nil {
		return checks, fmt.Errorf("preflight: %w", errors.Join(errs...))
	}

	installed := 0
	err = readInstalled(ctx, t, func(installedPackage) error { installed++; return nil })
	if err == nil && installed == 0 {
		err = fmt.Errorf("no installed package in %s", dpkgStatusPath)
	}
	add("dpkg database", true, fmt.Sprintf("%d installed packages", installed), err)

	d, err := detectDistribution(ctx, t)
	add("distribution", true, strings.TrimSpace(fmt.Sprintf("%s (%s %s %s)", d.PrettyName, d.ID, d.VersionID, d.Arch)), err)

	_, err = t.readFile("/etc/shadow")
	if err != nil {
		err = fmt.Errorf("cannot read /etc/shadow (%w): password hashes and files only root can read will be missing; run the agent as root", err)
	}
	add("privileges", false, "protected files are readable", err)

	free, err := tempSpace(opts.TempDir)
	if err == nil && free < opts.MinTempFree {
		err = fmt.Errorf("%s has %d MiB free, the scan wants %d MiB", opts.TempDir, free>>20, opts.MinTempFree>>20)
	}
	add("temporary space", true, fmt.Sprintf("%s is writable, %d MiB free", opts.TempDir, free>>20), err)

	if len(errs) > 0 {
		return checks, fmt.Errorf("preflight: %w", errors.Join(errs...))
	}
	return checks, ctx.Err()
}

// tempSpace checks that dir is writable and returns its free bytes (for an
// unprivileged user: statfs's Bavail).
func tempSpace(dir string) (int64, error) {
	f, err := os.CreateTemp(dir, ".kiln-preflight-*")
	if err != nil {
		return 0, fmt.Errorf("not writable: %w", err)
	}
	f.Close()
	os.Remove(f.Name())
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
