package treefs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kilnhq/kiln/internal/treefs/treefstest"
)

// modes runs fn on the tree at dir opened both ways: with openat2 when this
// kernel has it, and with the descriptor walk that replaces it elsewhere.
func modes(t *testing.T, dir func(t *testing.T) string, fn func(t *testing.T, r *Root)) {
	for _, walk := range []bool{false, true} {
		name := "openat2"
		if walk {
			name = "walk"
		}
		t.Run(name, func(t *testing.T) {
			r, err := Open(dir(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			if !walk && !r.openat2 {
				t.Skip("this kernel (or sandbox) has no openat2")
			}
			r.openat2 = !walk
			fn(t, r)
		})
	}
}

// debianTree is a small tree with Debian's outward symlinks planted, each
// leading to a host sentinel that must stay untouched.
func debianTree(t *testing.T) (string, *treefstest.Sentinels) {
	root := t.TempDir()
	for _, d := range []string{"etc", "home", "root", "run", "usr/lib/ssl", "var"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root, treefstest.Plant(t, root, treefstest.DebianLinks...)
}

// Every method taking a path, given one through var/run (an absolute link
// out of the tree), acts inside the tree or fails: never on the host.
func TestNothingReachesTheHost(t *testing.T) {
	var sentinels *treefstest.Sentinels
	tree := func(t *testing.T) string {
		root, s := debianTree(t)
		sentinels = s
		return root
	}
	modes(t, tree, func(t *testing.T, r *Root) {
		ops := []struct {
			name string
			fn   func() error
		}{
			{"MkdirAll", func() error { return r.MkdirAll("/var/run/lock/kiln/.ssh", 0o700) }},
			{"Mkdir", func() error { return r.Mkdir("/var/run/nologin", 0o755) }},
			{"WriteFile", func() error { return r.WriteFile("/var/run/nologin.txt", []byte("x"), 0o644) }},
			{"WriteFileOwned", func() error { return r.WriteFileOwned("/var/lock/f", []byte("x"), 0o600, 0, 0) }},
			{"WriteFile private", func() error { return r.WriteFile("/usr/lib/ssl/private/key.pem", []byte("x"), 0o600) }},
			{"OpenFile", func() error {
				f, err := r.OpenFile("/var/run/created", os.O_CREATE|os.O_WRONLY, 0o644)
				if err == nil {
					f.Close()
				}
				return err
			}},
			{"Symlink", func() error { return r.Symlink("/etc/shadow", "/var/run/link") }},
			{"Chmod", func() error { return r.Chmod("/var/run/keep", 0o777) }},
			{"Chown", func() error { return r.Chown("/var/run/keep", 1234, 1234) }},
			{"Lchown", func() error { return r.Lchown("/var/run/keep", 1234, 1234) }},
			{"Rename out", func() error { return r.Rename("/var/run/keep", "/etc/moved") }},
			{"Remove", func() error { return r.Remove("/var/lock/keep") }},
			{"RemoveAll", func() error { return r.RemoveAll("/usr/lib/ssl/private/lock") }},
			{"Rename in", func() error { return r.Rename("/etc", "/var/run/etc") }},
			{"dotdot", func() error { return r.WriteFile("/../../../../var/run/../../dotdot", []byte("x"), 0o644) }},
		}
		for _, op := range ops {
			// The sentinels' state is checked when the test ends.
			if err := op.fn(); err != nil {
				t.Errorf("%s: %v", op.name, err)
			}
		}
		// What resolved inside the tree is there.
		for _, p := range []string{"lock/kiln/.ssh", "nologin", "nologin.txt", "etc"} {
			if _, err := os.Lstat(filepath.Join(sentinels.Inside("var/run"), p)); err != nil {
				t.Errorf("%s is not inside the tree: %v", p, err)
			}
		}
		if _, err := os.Lstat(filepath.Join(r.Dir(), "dotdot")); err != nil {
			t.Errorf("\"..\" climbed out of the root: %v", err)
		}
	})
}

// A relative symlink climbing with ".." stops at the root, for writes and
// for reads alike (a read of a host file would leak it into the image).
func TestRelativeEscapeStaysInside(t *testing.T) {
	tree := func(t *testing.T) string {
		root := t.TempDir()
		if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("../../../../../../../..", filepath.Join(root, "etc/up")); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/etc/hostname", filepath.Join(root, "etc/name")); err != nil {
			t.Fatal(err)
		}
		return root
	}
	modes(t, tree, func(t *testing.T, r *Root) {
		if err := r.WriteFile("/etc/up/escaped", []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(r.Dir(), "escaped")); err != nil {
			t.Errorf("the write did not land at the tree's root: %v", err)
		}
		if _, err := r.ReadFile("/etc/up/etc/hostname"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("read the host's /etc/hostname through etc/up: %v", err)
		}
		if _, err := r.ReadFile("/etc/name"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("read the host's /etc/hostname through an absolute link: %v", err)
		}
	})
}

func TestCheckNoLinks(t *testing.T) {
	root, _ := debianTree(t)
	r, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for p, link := range map[string]string{
		"/var/run/lock/kiln":         "/var/run",
		"/var/run":                   "/var/run",
		"/var/lock":                  "/var/lock",
		"/usr/lib/ssl/private/x/y/z": "/usr/lib/ssl/private",
	} {
		err := r.CheckNoLinks(p)
		var le *LinkError
		if !errors.As(err, &le) || le.Link != link || !errors.Is(err, ErrThroughLink) {
			t.Errorf("CheckNoLinks(%q) = %v, want the link %s", p, err, link)
		}
	}
	if got, want := r.CheckNoLinks("/var/run/lock/kiln").Error(), "/var/run/lock/kiln goes through the link /var/run"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	for _, p := range []string{"/", "/home/kiln", "/srv/data/x", "/run/nologin", "/etc"} {
		if err := r.CheckNoLinks(p); err != nil {
			t.Errorf("CheckNoLinks(%q) = %v", p, err)
		}
	}
	for _, p := range []string{"/home/../var/run", "home/kiln", "/home//kiln", "/home/kiln/"} {
		if err := r.CheckNoLinks(p); !errors.Is(err, unix.EINVAL) {
			t.Errorf("CheckNoLinks(%q) = %v, want EINVAL", p, err)
		}
	}
}

// The writers behave as their os counterparts would inside a chroot.
func TestSemantics(t *testing.T) {
	tree := func(t *testing.T) string {
		root := t.TempDir()
		for _, d := range []string{"etc", "usr/share/zoneinfo/Etc"} {
			if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(root, "usr/share/zoneinfo/Etc/UTC"), []byte("TZif"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/usr/share/zoneinfo/Etc/UTC", filepath.Join(root, "etc/localtime")); err != nil {
			t.Fatal(err)
		}
		return root
	}
	modes(t, tree, func(t *testing.T, r *Root) {
		in := func(p string) string { return filepath.Join(r.Dir(), p) }
		// Absolute links resolve against the tree.
		if data, err := r.ReadFile("/etc/localtime"); err != nil || string(data) != "TZif" {
			t.Errorf("ReadFile through the tree's link = %q, %v", data, err)
		}
		if st, err := r.Stat("/etc/localtime"); err != nil || !st.Mode().IsRegular() {
			t.Errorf("Stat = %v, %v", st, err)
		}
		if st, err := r.Lstat("/etc/localtime"); err != nil || st.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("Lstat = %v, %v", st, err)
		}
		// WriteFile replaces a symlink, never writes through it.
		if err := r.WriteFileOwned("/etc/localtime", []byte("new"), 0o640, 12, 34); err != nil {
			t.Fatal(err)
		}
		if data, _ := os.ReadFile(in("usr/share/zoneinfo/Etc/UTC")); string(data) != "TZif" {
			t.Errorf("written through the symlink: %q", data)
		}
		st, err := os.Lstat(in("etc/localtime"))
		if err != nil || !st.Mode().IsRegular() || st.Mode().Perm() != 0o640 ||
			st.Sys().(*syscall.Stat_t).Uid != 12 || st.Sys().(*syscall.Stat_t).Gid != 34 {
			t.Errorf("replaced file: %v, %v", st, err)
		}
		if err := r.WriteFile("/etc", nil, 0o644); !errors.Is(err, unix.EISDIR) {
			t.Errorf("WriteFile over a directory = %v", err)
		}
		// Modes are exact, whatever the umask.
		old := unix.Umask(0o077)
		defer unix.Umask(old)
		if err := r.MkdirAll("/srv/a/b", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := r.Mkdir("/srv/a/b/t", 0o777|fs.ModeSticky); err != nil {
			t.Fatal(err)
		}
		for p, want := range map[string]fs.FileMode{"srv": 0o755, "srv/a/b": 0o755, "srv/a/b/t": 0o777 | fs.ModeSticky} {
			if st, err := os.Stat(in(p)); err != nil || st.Mode()&^fs.ModeDir != want {
				t.Errorf("%s: %v, %v; want %v", p, st.Mode(), err, want)
			}
		}
		if err := r.Mkdir("/srv", 0o755); !errors.Is(err, fs.ErrExist) {
			t.Errorf("Mkdir of an existing directory = %v", err)
		}
		if err := r.MkdirAll("/etc/localtime/x", 0o755); !errors.Is(err, unix.ENOTDIR) {
			t.Errorf("MkdirAll under a file = %v", err)
		}
		if err := r.Chmod("/srv/a", 0o750|fs.ModeSetgid); err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(in("srv/a")); st.Mode()&^fs.ModeDir != 0o750|fs.ModeSetgid {
			t.Errorf("Chmod: %v", st.Mode())
		}
		// Symlink replaces; Lchown changes the link, Chown its target.
		if err := r.Symlink("b", "/srv/a/l"); err != nil {
			t.Fatal(err)
		}
		if err := r.Symlink("t", "/srv/a/l"); err != nil {
			t.Fatal(err)
		}
		if got, err := r.Readlink("/srv/a/l"); got != "t" || err != nil {
			t.Errorf("Readlink = %q, %v", got, err)
		}
		if err := r.Lchown("/srv/a/l", 7, 8); err != nil {
			t.Fatal(err)
		}
		if err := r.Chown("/srv/a/b", 9, 10); err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Lstat(in("srv/a/l")); st.Sys().(*syscall.Stat_t).Uid != 7 {
			t.Error("Lchown did not change the link")
		}
		if st, _ := os.Lstat(in("srv/a/b")); st.Sys().(*syscall.Stat_t).Uid != 9 {
			t.Error("Chown did not change the directory")
		}
		ents, err := r.ReadDir("/srv/a")
		if err != nil || len(ents) != 2 || ents[0].Name() != "b" || !ents[0].IsDir() || ents[1].Name() != "l" || ents[1].Type() != fs.ModeSymlink {
			t.Errorf("ReadDir = %v, %v", ents, err)
		}
		if info, err := ents[0].Info(); err != nil || info.Sys().(*syscall.Stat_t).Uid != 9 {
			t.Errorf("ReadDir's Info = %v, %v", info, err)
		}
		// Remove, Rename, RemoveAll.
		if err := r.Remove("/srv/nothing"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Remove of nothing = %v", err)
		}
		if err := r.Rename("/srv/a/b", "/srv/moved"); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(in("srv/moved/t")); err != nil {
			t.Errorf("Rename: %v", err)
		}
		if err := r.RemoveAll("/srv"); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(in("srv")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("RemoveAll left %v", err)
		}
		if err := r.RemoveAll("/srv"); err != nil {
			t.Errorf("RemoveAll of nothing = %v", err)
		}
	})
}

// A device in the tree is not read to its end.
func TestReadFileRefusesDevices(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mknod needs root")
	}
	root := t.TempDir()
	if err := unix.Mknod(filepath.Join(root, "zero"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 5))); err != nil {
		t.Skip("mknod:", err)
	}
	r, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.ReadFile("/zero"); err == nil {
		t.Error("read a device")
	}
}

// Rename moves between two trees, each path resolved inside its own.
func TestRenameBetweenTrees(t *testing.T) {
	a, _ := debianTree(t)
	b := t.TempDir()
	if err := os.MkdirAll(filepath.Join(a, "srv/data"), 0o755); err != nil {
		t.Fatal(err)
	}
	ra, err := Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer ra.Close()
	rb, err := Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Close()
	if err := Rename(ra, "/srv/data", rb, "/0"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(b, "0")); err != nil {
		t.Error(err)
	}
	// What var/run leads to inside a is moved, not the host's sentinel
	// (checked when the test ends).
	if err := Rename(ra, "/var/run/keep", rb, "/1"); err != nil {
		t.Error(err)
	}
}
