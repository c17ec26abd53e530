// Package rootfs prepares the root tree of one image build: it bootstraps a Debian
// release with mmdebstrap (explicit arguments, through internal/run), keeps the
// downloaded .debs and the bootstrapped bases in a content-addressed cache, and
// hands every build a fresh, writable copy of the base. See README.md for the cache
// keys, invalidation and eviction rules.
package rootfs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kilnhq/kiln/internal/record"
)

// DefaultMaxAge is how long a cached base is reused. Unversioned packages resolve to
// the mirror's current version at bootstrap time, so a base must not outlive the
// security updates published after it.
const DefaultMaxAge = 7 * 24 * time.Hour

// Builder prepares root trees and owns the cache under its directory.
type Builder struct {
	dir      string
	maxBytes int64
	maxAge   time.Duration
	log      *slog.Logger
	mode     string // mmdebstrap --mode
	now      func() time.Time
}

// Option adjusts a Builder.
type Option func(*Builder)

// WithMaxAge sets how long a cached base is reused (DefaultMaxAge otherwise).
func WithMaxAge(d time.Duration) Option { return func(b *Builder) { b.maxAge = d } }

// New returns a Builder whose cache lives in dir (created if needed) and is kept
// under maxBytes by least-recently-used eviction (0 means no limit).
//
// mmdebstrap runs with --mode=root, so Prepare needs root (CI runs as root): root
// mode lets dpkg chown files to their real owners and mknod /dev entries, and gives
// a tree that mkfs.ext4 -d can copy as is. --mode=unshare (rootless, via
// /etc/subuid) would leave a tree owned by subordinate ids that every later step
// would have to map back; it is not implemented and New says so when not root.
func New(dir string, maxBytes int64, log *slog.Logger, opts ...Option) (*Builder, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("rootfs: bootstrapping needs root (mmdebstrap --mode=root); rootless --mode=unshare is not supported yet")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("rootfs: cache dir %q: %w", dir, err)
	}
	b := &Builder{dir: abs, maxBytes: maxBytes, maxAge: DefaultMaxAge, log: log, mode: "root", now: time.Now}
	for _, o := range opts {
		o(b)
	}
	for _, d := range []string{b.basesDir(), b.debsDir(), b.locksDir(), b.tmpDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("rootfs: create cache dir: %w", err)
		}
	}
	b.removeStaleTemp()
	return b, nil
}

func (b *Builder) basesDir() string { return filepath.Join(b.dir, "bases") }
func (b *Builder) debsDir() string  { return filepath.Join(b.dir, "debs") }
func (b *Builder) locksDir() string { return filepath.Join(b.dir, "locks") }
func (b *Builder) tmpDir() string   { return filepath.Join(b.dir, "tmp") }

// staleTempAge is older than any bootstrap: a temp dir whose owner cannot be told
// and that is this old belongs to a process that is gone.
const staleTempAge = 6 * time.Hour

// removeStaleTemp removes temp dirs left by processes that died (killed workers:
// their bootstrap may even have left mounts inside, which removeAllSafe detaches).
// Temp dirs are named kind-PID-random; a PID that no longer exists marks them stale.
func (b *Builder) removeStaleTemp() {
	ents, err := os.ReadDir(b.tmpDir())
	if err != nil {
		return
	}
	for _, e := range ents {
		if !staleTemp(e.Name(), e, b.now()) {
			continue
		}
		p := filepath.Join(b.tmpDir(), e.Name())
		if err := removeAllSafe(p); err != nil {
			b.log.Warn("rootfs: remove stale temp dir", "path", p, "err", err)
		} else {
			b.log.Info("rootfs: removed stale temp dir", "path", p)
		}
	}
}

func staleTemp(name string, e os.DirEntry, now time.Time) bool {
	parts := strings.SplitN(name, "-", 3)
	if len(parts) == 3 {
		if pid, err := strconv.Atoi(parts[1]); err == nil && pid > 0 {
			if pid == os.Getpid() {
				return false
			}
			err := syscall.Kill(pid, 0)
			return errors.Is(err, syscall.ESRCH)
		}
	}
	info, err := e.Info()
	return err == nil && now.Sub(info.ModTime()) > staleTempAge
}

// Timings says where Prepare spent its time.
type Timings struct {
	Lock      time.Duration // waiting for another build of the same key
	Bootstrap time.Duration // mmdebstrap and storing the base (zero on a hit)
	Populate  time.Duration // making dst from the base
	Total     time.Duration
}

// Result describes the tree Prepare left at dst.
type Result struct {
	Key      string                    // the base's cache key
	CacheHit bool                      // the base came from the cache
	Packages []record.InstalledPackage // what dpkg says is installed in dst
	Debs     DebStats                  // where the .debs came from (bootstrap only)
	Timings  Timings
}

// Prepare leaves at dst (which must not exist, or be an empty directory) a fresh,
// writable root tree with req's packages installed. On failure or cancellation dst
// and every temporary file are removed. progress (optional) gets 0–100.
//
// dst shares file data with the cache under /usr and /opt (hard links, see
// README.md): a later step must replace such a file (write a new file, rename it
// over the old one) rather than write into it. Everything else in dst is a
// private copy.
func (b *Builder) Prepare(ctx context.Context, req Request, dst string, progress func(pct int, msg string)) (res *Result, err error) {
	start := b.now()
	if progress == nil {
		progress = func(int, string) {}
	}
	r, err := req.normalize()
	if err != nil {
		return nil, err
	}
	key := r.key()
	log := b.log.With("key", key[:12], "codename", r.Codename)
	if err := prepareDst(dst); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if rmErr := removeTree(dst); rmErr != nil {
				log.Warn("rootfs: remove failed tree", "dst", dst, "err", rmErr)
			}
		}
	}()
	res = &Result{Key: key}

	// One build per key at a time: the second build of a key waits for the first
	// one's bootstrap and then hits the cache instead of bootstrapping again. Holding
	// the lock while populating also keeps eviction away from the entry in use.
	progress(0, "waiting for the base cache")
	lock, err := lockFile(ctx, filepath.Join(b.locksDir(), "base-"+key+".lock"), true)
	if err != nil {
		return nil, fmt.Errorf("rootfs: %w", err)
	}
	defer lock.unlock()
	res.Timings.Lock = b.now().Sub(start)

	entry := filepath.Join(b.basesDir(), key)
	meta, hit := b.lookup(entry)
	if hit {
		log.Info("rootfs: base cache hit", "created", meta.Created)
		res.CacheHit = true
	} else {
		t := b.now()
		progress(1, "bootstrapping "+r.Distribution+" "+r.Codename)
		res.Debs, err = b.build(ctx, r, key, entry, func(pct int, msg string) { progress(1+pct*84/100, msg) })
		if err != nil {
			return nil, err
		}
		res.Timings.Bootstrap = b.now().Sub(t)
		log.Info("rootfs: base bootstrapped", "took", res.Timings.Bootstrap,
			"debsReused", res.Debs.Reused, "debsDownloaded", res.Debs.Downloaded)
	}
	b.touch(entry)

	progress(86, "copying the base tree")
	t := b.now()
	if err := populate(ctx, filepath.Join(entry, "tree"), dst); err != nil {
		return nil, fmt.Errorf("rootfs: populate %s: %w", dst, err)
	}
	res.Timings.Populate = b.now().Sub(t)

	progress(97, "listing installed packages")
	if res.Packages, err = Installed(ctx, dst); err != nil {
		return nil, err
	}
	if err := b.evict(ctx); err != nil {
		// The build itself succeeded; a cache over its cap is not its failure.
		log.Warn("rootfs: cache eviction", "err", err)
	}
	res.Timings.Total = b.now().Sub(start)
	progress(100, "root tree ready")
	log.Info("rootfs: prepared", "dst", dst, "hit", res.CacheHit, "packages", len(res.Packages),
		"bootstrap", res.Timings.Bootstrap, "populate", res.Timings.Populate, "total", res.Timings.Total)
	return res, nil
}

// prepareDst makes sure dst is an empty directory, creating it if needed.
func prepareDst(dst string) error {
	if dst == "" {
		return errors.New("rootfs: empty destination")
	}
	ents, err := os.ReadDir(dst)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return fmt.Errorf("rootfs: create %s: %w", dst, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("rootfs: destination %s: %w", dst, err)
	case len(ents) > 0:
		return fmt.Errorf("rootfs: destination %s is not empty", dst)
	}
	return nil
}

// removeTree removes dst's content and dst itself.
func removeTree(dst string) error {
	if strings.TrimRight(dst, "/") == "" {
		return nil
	}
	return removeAllSafe(dst)
}
