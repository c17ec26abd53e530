package tartree

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fixture describes the test tree built by makeTree.
type fixture struct {
	root      string
	hasXattr  bool      // the filesystem accepted user.kiln
	capValue  []byte    // security.capability of usr/bin/ping, nil if refused
	future    time.Time // mtime given to etc/future
	socketRel string
}

// makeTree builds a small root filesystem holding one of each kind of entry
// Write has to handle. It needs root (chown, mknod), which the build and CI
// machines are.
func makeTree(t *testing.T) fixture {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for chown and mknod")
	}
	root := t.TempDir()
	f := fixture{root: root, future: time.Date(2040, 1, 2, 3, 4, 5, 0, time.UTC)}
	mkdir := func(rel string, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	file := func(rel, body string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(root, rel)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		// Chmod after create: the umask would strip setuid bits and others.
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	mkdir("etc", 0o755)
	mkdir("usr/bin", 0o755)
	mkdir("home/user", 0o750)
	mkdir("tmp", 0o777|os.ModeSticky)
	mkdir("dev", 0o755)
	mkdir("var/spool", 0o755)
	file("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n", 0o644)
	file("etc/shadow", "root:*:19000:0:99999:7:::\n", 0o640)
	su := file("usr/bin/su", "#!/bin/sh\necho su\n", 0o755)
	must(os.Chmod(su, 0o755|os.ModeSetuid))
	wall := file("usr/bin/wall", "wall", 0o755)
	must(os.Chmod(wall, 0o755|os.ModeSetgid))
	big := bytes.Repeat([]byte("0123456789abcdef"), 200_000) // 3.2 MB: several copy blocks
	must(os.WriteFile(filepath.Join(root, "usr/bin/big"), big, 0o755))
	first := file("usr/bin/perl", "perl binary", 0o755)
	must(os.Link(first, filepath.Join(root, "usr/bin/perl5.36")))
	must(os.Symlink("usr/bin", filepath.Join(root, "bin")))
	must(os.Symlink("/etc/passwd", filepath.Join(root, "etc/passwd-link")))
	owned := file("home/user/notes", "mine", 0o600)
	must(os.Lchown(owned, 1000, 42))
	must(os.Lchown(filepath.Join(root, "home/user"), 1000, 42))
	must(os.Lchown(filepath.Join(root, "etc/shadow"), 0, 42))
	future := file("etc/future", "from the future", 0o644)
	must(os.Chtimes(future, f.future, f.future))
	must(unix.Mkfifo(filepath.Join(root, "var/spool/fifo"), 0o620))
	must(unix.Mknod(filepath.Join(root, "dev/null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	must(unix.Mknod(filepath.Join(root, "dev/loop0"), unix.S_IFBLK|0o660, int(unix.Mkdev(7, 0))))
	// mknod and mkfifo apply the umask; set the modes the tests expect.
	must(os.Chmod(filepath.Join(root, "var/spool/fifo"), 0o620))
	must(os.Chmod(filepath.Join(root, "dev/null"), 0o666))
	must(os.Chmod(filepath.Join(root, "dev/loop0"), 0o660))

	err := unix.Lsetxattr(filepath.Join(root, "etc/passwd"), "user.kiln", []byte("1"), 0)
	switch {
	case err == nil:
		f.hasXattr = true
	case errors.Is(err, unix.ENOTSUP), errors.Is(err, unix.EPERM):
		t.Logf("filesystem refuses user xattrs (%v): xattr checks skipped", err)
	default:
		t.Fatal(err)
	}
	// cap_net_raw+ep in the vfs_cap_data revision 2 layout (little endian):
	// magic|effective, then permitted and inheritable for both halves.
	ping := file("usr/bin/ping", "ping", 0o755)
	capv := []byte{1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if err := unix.Lsetxattr(ping, "security.capability", capv, 0); err == nil {
		f.capValue = capv
	} else {
		t.Logf("cannot set file capabilities (%v): capability checks skipped", err)
	}
	// trusted.* must never be archived; only root can set it, and we are root.
	if err := unix.Lsetxattr(filepath.Join(root, "etc/passwd"), "trusted.overlay.x", []byte("y"), 0); err != nil {
		t.Logf("cannot set trusted xattr: %v", err)
	}

	// A listening socket leaves a socket inode behind, which must be skipped.
	f.socketRel = "var/spool/sock"
	l, err := net.Listen("unix", filepath.Join(root, f.socketRel))
	must(err)
	if ul, ok := l.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
	must(l.Close())
	return f
}

// member is what a test needs to know of one tar entry.
type member struct {
	hdr  *tar.Header
	body []byte
}

// readTar reads a whole tar stream; names keep their order.
func readTar(t *testing.T, r io.Reader) (order []string, byName map[string]member) {
	t.Helper()
	byName = make(map[string]member)
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return order, byName
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read member %s: %v", hdr.Name, err)
		}
		if _, dup := byName[hdr.Name]; dup {
			t.Fatalf("member %s appears twice", hdr.Name)
		}
		order = append(order, hdr.Name)
		byName[hdr.Name] = member{hdr: hdr, body: body}
	}
}

func writeTree(t *testing.T, root string, opts Options) ([]byte, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Write(context.Background(), &buf, root, opts)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.Bytes(), st
}
