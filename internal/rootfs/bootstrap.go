package rootfs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"

	"github.com/kilnhq/kiln/internal/run"
	"github.com/kilnhq/kiln/internal/treefs"
)

// setupHook runs inside mmdebstrap before apt: it hard-links the release's .deb pool
// into the chroot's archive dir, so apt downloads only what the pool lacks (apt
// never writes into an existing archive; it downloads into partial/ and renames).
// The script is a constant: the pool path comes through the environment, so no
// data is ever spliced into shell text. cp -al needs the pool on the same
// filesystem as the temp tree (both live under the cache dir); otherwise it copies.
const setupHook = `mkdir -p "$1/var/cache/apt/archives/partial" && ` +
	`{ cp -al "$KILN_DEB_POOL/." "$1/var/cache/apt/archives/" 2>/dev/null || cp -a "$KILN_DEB_POOL/." "$1/var/cache/apt/archives/"; }`

// initramfsHook builds every kernel's initramfs once, at the end. While packages
// are being installed, INITRD=No (in the environment, which dpkg passes to
// maintainer scripts) makes the kernel's postinst hook skip it; otherwise Debian
// builds it twice: in the kernel's postinst, then again from initramfs-tools'
// trigger once the other packages with initramfs hooks are configured. Under TCG-
// era CI load one mkinitramfs run takes minutes, so this halves the bootstrap's
// largest cost, and the one build sees every package's hooks.
const initramfsHook = `if [ -x "$1/usr/sbin/update-initramfs" ]; then chroot "$1" update-initramfs -c -k all; fi`

// bootstrap runs mmdebstrap for r into tree (which must not exist), then moves the
// downloaded .debs into the pool and strips apt's caches from the tree.
func (b *Builder) bootstrap(ctx context.Context, r Request, tree string, progress func(int, string)) (DebStats, error) {
	pool := filepath.Join(b.debsDir(), r.poolName())
	// Shared: several bootstraps of one release may read and feed the pool at once
	// (every addition is an atomic rename); eviction takes it exclusively.
	poolLock, err := lockFile(ctx, filepath.Join(b.locksDir(), "debs-"+r.poolName()+".lock"), false)
	if err != nil {
		return DebStats{}, fmt.Errorf("rootfs: %w", err)
	}
	defer poolLock.unlock()
	if err := os.MkdirAll(pool, 0o755); err != nil {
		return DebStats{}, fmt.Errorf("rootfs: create .deb pool: %w", err)
	}
	b.touchFile(pool + ".used")

	args := []string{
		"--mode=" + b.mode,
		"--variant=" + r.Variant,
		"--arch=" + r.Arch,
		// Keep the .debs after installing (download/empty, and essential/unlink for
		// the essential set) and through mmdebstrap's cleanup (cleanup/apt/cache) so
		// that they can be moved into the pool;
		// stripAptCaches then cleans what cleanup/apt/cache would have.
		"--skip=download/empty",
		"--skip=essential/unlink",
		"--skip=cleanup/apt/cache",
		"--setup-hook=" + setupHook,
		"--customize-hook=" + initramfsHook,
		"--aptopt=Acquire::Retries \"3\"",
	}
	if inc := r.include(); inc != "" {
		args = append(args, "--include="+inc)
	}
	args = append(args, "--", r.Codename, tree)
	for _, s := range r.Sources {
		args = append(args, s.Line())
	}
	mon := &aptMonitor{progress: progress}
	b.log.Info("rootfs: mmdebstrap", "args", args)
	err = run.Run(ctx, run.Cmd{
		Name:   "mmdebstrap",
		Args:   args,
		Env:    []string{"KILN_DEB_POOL=" + pool, "LC_ALL=C.UTF-8", "INITRD=No"},
		Stderr: mon,
	})
	if err != nil {
		if run.IsCanceled(err) {
			return DebStats{}, fmt.Errorf("rootfs: bootstrap cancelled: %w", err)
		}
		if missing := mon.missing(); len(missing) > 0 {
			return DebStats{}, &UnknownPackageError{Packages: missing, Err: err}
		}
		return DebStats{}, fmt.Errorf("rootfs: mmdebstrap %s: %w", r.Codename, err)
	}
	progress(92, "storing downloaded packages")
	stats, err := harvestDebs(tree, pool)
	if err != nil {
		return stats, fmt.Errorf("rootfs: store downloaded packages: %w", err)
	}
	if err := stripAptCaches(tree); err != nil {
		return stats, fmt.Errorf("rootfs: clean apt caches: %w", err)
	}
	progress(100, "base bootstrapped")
	return stats, nil
}

// DebStats says how a bootstrap got its packages.
type DebStats struct {
	Reused     int // taken from the pool (the archive is the pool's own inode)
	Downloaded int // fetched from the mirror and added to the pool
}

func (b *Builder) touchFile(p string) {
	now := b.now()
	if err := os.Chtimes(p, now, now); err != nil {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			b.log.Warn("rootfs: touch", "path", p, "err", err)
		}
	}
}

// harvestDebs moves the .debs apt left in the tree into the pool (rename: atomic, and
// free on the same filesystem). Files the pool already has are dropped. An archive
// that is still the pool's own inode was reused; any other one was downloaded.
// The tree's paths are resolved inside it (internal/treefs): its packages come
// from a mirror the tenant may choose, and may make apt's directories links.
func harvestDebs(treeDir, poolDir string) (DebStats, error) {
	var st DebStats
	tree, err := treefs.Open(treeDir)
	if err != nil {
		return st, err
	}
	defer tree.Close()
	pool, err := treefs.Open(poolDir)
	if err != nil {
		return st, err
	}
	defer pool.Close()
	const dir = "/var/cache/apt/archives"
	ents, err := tree.ReadDir(dir)
	if err != nil {
		return st, err
	}
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".deb") {
			continue
		}
		src, dst := dir+"/"+e.Name(), "/"+e.Name()
		if dstInfo, err := pool.Lstat(dst); err == nil {
			if srcInfo, err := e.Info(); err == nil && os.SameFile(srcInfo, dstInfo) {
				st.Reused++
			} else {
				st.Downloaded++
			}
			if err := tree.Remove(src); err != nil {
				return st, err
			}
			continue
		}
		st.Downloaded++
		if err := treefs.Rename(tree, src, pool, dst); err != nil {
			if err := copyFileAtomic(tree, src, filepath.Join(poolDir, e.Name())); err != nil {
				return st, err
			}
			if err := tree.Remove(src); err != nil {
				return st, err
			}
		}
	}
	return st, nil
}

// copyFileAtomic copies the tree's file src to dst through a temp file renamed into
// place, so a reader of dst never sees a partial file.
func copyFileAtomic(tree *treefs.Root, src, dst string) error {
	in, err := tree.OpenFile(src, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp-" + fmt.Sprint(os.Getpid())
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// stripAptCaches removes from the image tree what apt can fetch again: downloaded
// archives, package lists and the binary caches. /var/lib/dpkg stays intact.
func stripAptCaches(treeDir string) error {
	tree, err := treefs.Open(treeDir)
	if err != nil {
		return err
	}
	defer tree.Close()
	var errs []error
	clean := func(dir string, keep func(name string, isDir bool) bool) {
		ents, err := tree.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			return
		}
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, e := range ents {
			if keep(e.Name(), e.IsDir()) {
				continue
			}
			if err := tree.RemoveAll(dir + "/" + e.Name()); err != nil {
				errs = append(errs, err)
			}
		}
	}
	keepLockAndPartial := func(name string, isDir bool) bool { return name == "lock" || (isDir && name == "partial") }
	clean("/var/cache/apt/archives", keepLockAndPartial)
	clean("/var/lib/apt/lists", keepLockAndPartial)
	clean("/var/cache/apt", func(name string, isDir bool) bool { return isDir })
	for _, d := range []string{"/var/cache/apt/archives/partial", "/var/lib/apt/lists/partial"} {
		clean(d, func(string, bool) bool { return false })
	}
	return errors.Join(errs...)
}

// UnknownPackageError says which requested packages (or versions) the mirror does
// not have.
type UnknownPackageError struct {
	Packages []string // as apt named them: "foo" or "foo=1.2"
	Err      error
}

func (e *UnknownPackageError) Error() string {
	return fmt.Sprintf("rootfs: package not found on the mirror: %s", strings.Join(e.Packages, ", "))
}

func (e *UnknownPackageError) Unwrap() error { return e.Err }

// apt's messages for a package or version the mirror does not have.
var aptMissingRes = []*regexp.Regexp{
	regexp.MustCompile(`Unable to locate package (\S+)`),
	regexp.MustCompile(`Package '?([^' ]+)'? has no installation candidate`),
	regexp.MustCompile(`Version '([^']+)' for '([^']+)' was not found`),
	regexp.MustCompile(`Couldn't find any package by (?:glob|regex) '([^']+)'`),
}

// mmdebstrap's phase messages and how far into the bootstrap each one is.
var phases = []struct {
	marker string
	pct    int
	msg    string
}{
	{"running apt-get update", 5, "updating package lists"},
	{"downloading packages", 15, "downloading packages"},
	{"extracting archives", 40, "extracting packages"},
	{"installing essential packages", 50, "installing essential packages"},
	{"installing remaining packages", 65, "installing packages"},
	{"running --customize-hook", 85, "customizing"},
	{"cleaning up", 88, "cleaning up"},
}

// aptMonitor reads mmdebstrap's stderr line by line: phases become progress, and
// apt's "not found" errors are collected whole (the error's stderr tail may have
// cut them off).
type aptMonitor struct {
	progress func(int, string)
	mu       sync.Mutex
	partial  []byte
	notFound []string
	pct      int // progress only moves forward
}

func (m *aptMonitor) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.partial = append(m.partial, p...)
	for {
		i := bytes.IndexByte(m.partial, '\n')
		if i < 0 {
			break
		}
		m.line(string(m.partial[:i]))
		m.partial = m.partial[i+1:]
	}
	return len(p), nil
}

func (m *aptMonitor) line(l string) {
	for _, ph := range phases {
		if strings.Contains(l, ph.marker) && ph.pct > m.pct {
			m.pct = ph.pct
			m.progress(ph.pct, ph.msg)
		}
	}
	for i, re := range aptMissingRes {
		sm := re.FindStringSubmatch(l)
		if sm == nil {
			continue
		}
		name := sm[1]
		if i == 2 {
			name = sm[2] + "=" + sm[1]
		}
		m.addMissing(name)
	}
}

func (m *aptMonitor) addMissing(name string) {
	for _, n := range m.notFound {
		if n == name {
			return
		}
	}
	m.notFound = append(m.notFound, name)
}

func (m *aptMonitor) missing() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.partial) > 0 {
		m.line(string(m.partial))
		m.partial = nil
	}
	return append([]string(nil), m.notFound...)
}
