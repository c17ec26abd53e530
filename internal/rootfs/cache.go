package rootfs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

// meta is stored as meta.json next to a base's tree. An entry directory is only
// ever created by renaming a complete temp directory, so a readable meta.json means
// a complete base.
type meta struct {
	Key       string
	Request   Request
	Created   time.Time
	SizeBytes int64
}

const (
	metaFile = "meta.json"
	usedFile = "used" // its mtime is the entry's last use, for LRU eviction
)

// lookup reports whether entry holds a usable base. An expired base is removed
// (the caller holds the entry's exclusive lock).
func (b *Builder) lookup(entry string) (*meta, bool) {
	data, err := os.ReadFile(filepath.Join(entry, metaFile))
	if err != nil {
		return nil, false
	}
	var m meta
	if err := json.Unmarshal(data, &m); err != nil {
		b.log.Warn("rootfs: unreadable cache entry, rebuilding", "entry", entry, "err", err)
		b.discard(entry)
		return nil, false
	}
	if b.maxAge > 0 && b.now().Sub(m.Created) > b.maxAge {
		b.log.Info("rootfs: cached base expired, rebuilding", "entry", entry, "created", m.Created)
		b.discard(entry)
		return nil, false
	}
	return &m, true
}

func (b *Builder) touch(entry string) {
	p := filepath.Join(entry, usedFile)
	now := b.now()
	if err := os.Chtimes(p, now, now); errors.Is(err, os.ErrNotExist) {
		err = os.WriteFile(p, nil, 0o644)
		if err == nil {
			err = os.Chtimes(p, now, now)
		}
		if err != nil {
			b.log.Warn("rootfs: record cache use", "entry", entry, "err", err)
		}
	}
}

func lastUsed(path string) time.Time {
	info, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return info.ModTime()
}

// discard removes a cache entry: first renamed into tmp (atomic, so a half-removed
// entry never looks valid), then deleted.
func (b *Builder) discard(entry string) {
	trash, err := os.MkdirTemp(b.tmpDir(), fmt.Sprintf("trash-%d-", os.Getpid()))
	if err != nil {
		b.log.Warn("rootfs: discard cache entry", "entry", entry, "err", err)
		return
	}
	moved := filepath.Join(trash, "x")
	if err := os.Rename(entry, moved); err != nil {
		b.log.Warn("rootfs: discard cache entry", "entry", entry, "err", err)
	}
	if err := removeAllSafe(trash); err != nil {
		b.log.Warn("rootfs: discard cache entry", "entry", entry, "err", err)
	}
}

// build bootstraps the base for r into a temp dir and publishes it as entry.
func (b *Builder) build(ctx context.Context, r Request, key, entry string, progress func(int, string)) (DebStats, error) {
	tmp, err := os.MkdirTemp(b.tmpDir(), fmt.Sprintf("base-%d-", os.Getpid()))
	if err != nil {
		return DebStats{}, fmt.Errorf("rootfs: temp dir: %w", err)
	}
	// MkdirTemp makes it 0700; apt's unprivileged download user (_apt) must be able
	// to reach the chroot's list and archive dirs, or apt downloads as root.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return DebStats{}, fmt.Errorf("rootfs: temp dir: %w", err)
	}
	defer func() {
		// Empty after a successful publish; after a failure it may hold a half-made
		// tree with mmdebstrap's mounts still in it.
		if err := removeAllSafe(tmp); err != nil {
			b.log.Error("rootfs: remove temp dir", "path", tmp, "err", err)
		}
	}()
	tree := filepath.Join(tmp, "tree")
	stats, err := b.bootstrap(ctx, r, tree, progress)
	if err != nil {
		return stats, err
	}
	size, err := diskUsage(tree)
	if err != nil {
		return stats, fmt.Errorf("rootfs: size of base: %w", err)
	}
	m := meta{Key: key, Request: r, Created: b.now().UTC(), SizeBytes: size}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return stats, fmt.Errorf("rootfs: encode cache metadata: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, metaFile), data, 0o644); err != nil {
		return stats, fmt.Errorf("rootfs: write cache metadata: %w", err)
	}
	if err := os.Rename(tmp, entry); err != nil {
		return stats, fmt.Errorf("rootfs: publish base: %w", err)
	}
	return stats, nil
}

// diskUsage is the space a tree takes: allocated blocks, hard-linked inodes once.
func diskUsage(root string) (int64, error) {
	var total int64
	seen := map[uint64]bool{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			total += info.Size()
			return nil
		}
		if st.Nlink > 1 && !d.IsDir() {
			if seen[st.Ino] {
				return nil
			}
			seen[st.Ino] = true
		}
		total += st.Blocks * 512
		return nil
	})
	return total, err
}

// cacheEntry is one evictable unit: a base or a .deb pool.
type cacheEntry struct {
	path, lock, used string
	size             int64
	lastUse          time.Time
}

// evict removes least-recently-used entries until the cache fits under maxBytes.
// An entry whose lock is held (a build is using it) is never evicted.
func (b *Builder) evict(ctx context.Context) error {
	if b.maxBytes <= 0 {
		return nil
	}
	entries, err := b.entries()
	if err != nil {
		return err
	}
	var total int64
	for _, e := range entries {
		total += e.size
	}
	if total <= b.maxBytes {
		return nil
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].lastUse.Before(entries[j].lastUse) })
	for _, e := range entries {
		if total <= b.maxBytes || ctx.Err() != nil {
			break
		}
		l, ok, err := tryLockFile(e.lock)
		if err != nil {
			return err
		}
		if !ok {
			continue // in use
		}
		if _, err := os.Stat(e.path); err == nil {
			b.log.Info("rootfs: evicting cache entry", "path", e.path, "bytes", e.size, "lastUse", e.lastUse)
			b.discard(e.path)
			if e.used != "" {
				_ = os.Remove(e.used)
			}
			total -= e.size
		}
		l.unlock()
	}
	if total > b.maxBytes {
		return fmt.Errorf("cache holds %d bytes after eviction, over its %d-byte cap (entries in use)", total, b.maxBytes)
	}
	return nil
}

func (b *Builder) entries() ([]cacheEntry, error) {
	var out []cacheEntry
	bases, err := os.ReadDir(b.basesDir())
	if err != nil {
		return nil, fmt.Errorf("list cached bases: %w", err)
	}
	for _, d := range bases {
		p := filepath.Join(b.basesDir(), d.Name())
		data, err := os.ReadFile(filepath.Join(p, metaFile))
		var m meta
		if err != nil || json.Unmarshal(data, &m) != nil {
			continue
		}
		out = append(out, cacheEntry{
			path: p, lock: filepath.Join(b.locksDir(), "base-"+d.Name()+".lock"),
			size: m.SizeBytes, lastUse: lastUsed(filepath.Join(p, usedFile)),
		})
	}
	pools, err := os.ReadDir(b.debsDir())
	if err != nil {
		return nil, fmt.Errorf("list .deb pools: %w", err)
	}
	for _, d := range pools {
		if !d.IsDir() {
			continue
		}
		p := filepath.Join(b.debsDir(), d.Name())
		size, err := diskUsage(p)
		if err != nil {
			continue
		}
		used := p + ".used"
		out = append(out, cacheEntry{
			path: p, lock: filepath.Join(b.locksDir(), "debs-"+d.Name()+".lock"), used: used,
			size: size, lastUse: lastUsed(used),
		})
	}
	return out, nil
}
