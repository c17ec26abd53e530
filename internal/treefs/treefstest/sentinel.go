// Package treefstest plants, in a test's build tree, absolute symlinks that
// lead out of the tree as Debian's do (var/run -> /run), each to a sentinel
// directory of the host, and checks at the end of the test that nothing was
// written there.
package treefstest

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// DebianLinks are absolute symlinks every Debian tree has (var/run -> /run,
// var/lock -> /run/lock) or gets with openssl (usr/lib/ssl/private ->
// /etc/ssl/private).
var DebianLinks = []string{"var/run", "var/lock", "usr/lib/ssl/private"}

// Sentinels are the host directories the planted links lead to.
type Sentinels struct {
	root   string
	dirs   map[string]string // link (relative to root) → its sentinel
	before map[string]string // snapshot of every sentinel
}

// Plant replaces each path of links (relative to root) with an absolute
// symlink to a fresh sentinel directory of the host, holding a file "keep"
// and a directory "lock". The same directory is also made inside the tree,
// at the sentinel's path, as Debian's /run is there for var/run: a write
// through the link that is resolved inside the tree succeeds there, one
// resolved on the host lands in the sentinel. When the test ends, it fails if
// any sentinel changed.
func Plant(t testing.TB, root string, links ...string) *Sentinels {
	t.Helper()
	s := &Sentinels{root: root, dirs: map[string]string{}}
	for _, l := range links {
		dir := t.TempDir()
		for _, d := range []string{dir, filepath.Join(root, dir)} {
			must(t, os.MkdirAll(filepath.Join(d, "lock"), 0o755))
			must(t, os.WriteFile(filepath.Join(d, "keep"), []byte("host file\n"), 0o644))
		}
		link := filepath.Join(root, l)
		must(t, os.MkdirAll(filepath.Dir(link), 0o755))
		must(t, os.RemoveAll(link))
		must(t, os.Symlink(dir, link))
		s.dirs[l] = dir
	}
	s.before = s.snapshot(t)
	t.Cleanup(func() { s.Check(t) })
	return s
}

// Inside is the host path, inside the tree, where the planted link leads
// when it is resolved inside the tree.
func (s *Sentinels) Inside(link string) string { return filepath.Join(s.root, s.dirs[link]) }

// Check fails the test if a sentinel changed since Plant.
func (s *Sentinels) Check(t testing.TB) {
	t.Helper()
	after := s.snapshot(t)
	for p, was := range s.before {
		if now, ok := after[p]; !ok {
			t.Errorf("host sentinel %s was removed", p)
		} else if now != was {
			t.Errorf("host sentinel %s changed: %s, was %s", p, now, was)
		}
	}
	for p, now := range after {
		if _, ok := s.before[p]; !ok {
			t.Errorf("written on the host through a tree symlink: %s (%s)", p, now)
		}
	}
}

// snapshot describes every entry of every sentinel: type, mode, owner and,
// for files, the content's digest.
func (s *Sentinels) snapshot(t testing.TB) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, dir := range s.dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			desc := fmt.Sprintf("%v %v", info.Mode(), owner(info))
			if info.Mode().IsRegular() {
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				desc += fmt.Sprintf(" %d bytes, sha256 %x", len(data), sha256.Sum256(data))
			}
			m[p] = desc
			return nil
		})
		must(t, err)
	}
	return m
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func owner(info fs.FileInfo) string {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d:%d", st.Uid, st.Gid)
	}
	return "?"
}
