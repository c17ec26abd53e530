package tartree

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestGNUTarExtract extracts the stream with GNU tar, an independent reader,
// and compares the result with the source tree entry by entry.
func TestGNUTarExtract(t *testing.T) {
	gnutar, err := exec.LookPath("tar")
	if err != nil {
		t.Skip("GNU tar not installed")
	}
	f := makeTree(t)
	archive := filepath.Join(t.TempDir(), "tree.tar")
	out, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(context.Background(), out, f.root, Options{Devices: true}); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	cmd := exec.Command(gnutar, "--xattrs", "--xattrs-include=*", "--numeric-owner", "-xpf", archive, "-C", dest)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tar -x: %v\n%s", err, b)
	}

	seen := 0
	err = filepath.WalkDir(f.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == f.root {
			return err
		}
		rel, _ := filepath.Rel(f.root, p)
		if rel == f.socketRel {
			if _, err := os.Lstat(filepath.Join(dest, rel)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("socket %s extracted (%v)", rel, err)
			}
			return nil
		}
		seen++
		compareEntry(t, rel, p, filepath.Join(dest, rel), f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	extracted := 0
	if err := filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err == nil && p != dest {
			extracted++
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if extracted != seen {
		t.Errorf("extracted %d entries, source has %d", extracted, seen)
	}
	var a, b unix.Stat_t
	if err := unix.Lstat(filepath.Join(dest, "usr/bin/perl"), &a); err != nil {
		t.Fatal(err)
	}
	if err := unix.Lstat(filepath.Join(dest, "usr/bin/perl5.36"), &b); err != nil {
		t.Fatal(err)
	}
	if a.Ino != b.Ino {
		t.Error("hard link pair extracted as two inodes")
	}
}

func compareEntry(t *testing.T, rel, src, dst string, f fixture) {
	t.Helper()
	var s, d unix.Stat_t
	if err := unix.Lstat(src, &s); err != nil {
		t.Fatal(err)
	}
	if err := unix.Lstat(dst, &d); err != nil {
		t.Errorf("%s not extracted: %v", rel, err)
		return
	}
	if s.Mode != d.Mode || s.Uid != d.Uid || s.Gid != d.Gid || s.Nlink != d.Nlink || s.Rdev != d.Rdev {
		t.Errorf("%s: source mode %o uid %d gid %d nlink %d rdev %d; extracted %o %d %d %d %d",
			rel, s.Mode, s.Uid, s.Gid, s.Nlink, s.Rdev, d.Mode, d.Uid, d.Gid, d.Nlink, d.Rdev)
	}
	// Symlink times are not restored by tar -p on every system; files and
	// directories must match to the second.
	if s.Mode&unix.S_IFMT != unix.S_IFLNK && s.Mtim.Sec != d.Mtim.Sec {
		t.Errorf("%s: mtime %d, extracted %d", rel, s.Mtim.Sec, d.Mtim.Sec)
	}
	switch s.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		sb, err1 := os.ReadFile(src)
		db, err2 := os.ReadFile(dst)
		if err1 != nil || err2 != nil || !bytes.Equal(sb, db) {
			t.Errorf("%s: contents differ (%v, %v)", rel, err1, err2)
		}
	case unix.S_IFLNK:
		sl, _ := os.Readlink(src)
		dl, _ := os.Readlink(dst)
		if sl != dl {
			t.Errorf("%s: symlink %q extracted as %q", rel, sl, dl)
		}
	}
	if f.capValue != nil && rel == "usr/bin/ping" {
		buf := make([]byte, 64)
		n, err := unix.Lgetxattr(dst, "security.capability", buf)
		if err != nil || !bytes.Equal(buf[:n], f.capValue) {
			t.Errorf("%s: security.capability after extraction = %x, %v; want %x", rel, buf[:n], err, f.capValue)
		}
	}
	if f.hasXattr && rel == "etc/passwd" {
		buf := make([]byte, 16)
		n, err := unix.Lgetxattr(dst, "user.kiln", buf)
		if err != nil || string(buf[:n]) != "1" {
			t.Errorf("%s: user.kiln after extraction = %q, %v", rel, buf[:n], err)
		}
		if _, err := unix.Lgetxattr(dst, "trusted.overlay.x", buf); err == nil {
			t.Errorf("%s: trusted xattr survived", rel)
		}
	}
}
