package tartree

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWriteMembers(t *testing.T) {
	f := makeTree(t)
	data, st := writeTree(t, f.root, Options{})
	order, m := readTar(t, bytes.NewReader(data))

	// Sorted bytewise, each directory before its contents; devices, the
	// FIFO and the socket are left out by default; no entry for the root.
	want := []string{
		"bin",
		"dev/",
		"etc/", "etc/future", "etc/passwd", "etc/passwd-link", "etc/shadow",
		"home/", "home/user/", "home/user/notes",
		"tmp/",
		"usr/", "usr/bin/", "usr/bin/big", "usr/bin/perl", "usr/bin/perl5.36", "usr/bin/ping", "usr/bin/su", "usr/bin/wall",
		"var/", "var/spool/",
	}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Fatalf("member order (-want +got):\n%s", diff)
	}

	type attrs struct {
		Type     byte
		Mode     int64
		Uid, Gid int
		Linkname string
		Size     int64
	}
	wantAttrs := map[string]attrs{
		"bin":              {tar.TypeSymlink, 0o777, 0, 0, "usr/bin", 0},
		"etc/passwd":       {tar.TypeReg, 0o644, 0, 0, "", 32},
		"etc/passwd-link":  {tar.TypeSymlink, 0o777, 0, 0, "/etc/passwd", 0},
		"etc/shadow":       {tar.TypeReg, 0o640, 0, 42, "", 26},
		"home/user/":       {tar.TypeDir, 0o750, 1000, 42, "", 0},
		"home/user/notes":  {tar.TypeReg, 0o600, 1000, 42, "", 4},
		"tmp/":             {tar.TypeDir, 0o1777, 0, 0, "", 0},
		"usr/bin/perl":     {tar.TypeReg, 0o755, 0, 0, "", 11},
		"usr/bin/perl5.36": {tar.TypeLink, 0o755, 0, 0, "usr/bin/perl", 0},
		"usr/bin/su":       {tar.TypeReg, 0o4755, 0, 0, "", 18},
		"usr/bin/wall":     {tar.TypeReg, 0o2755, 0, 0, "", 4},
	}
	for name, w := range wantAttrs {
		h := m[name].hdr
		got := attrs{h.Typeflag, h.Mode, h.Uid, h.Gid, h.Linkname, h.Size}
		if got != w {
			t.Errorf("%s: got %+v, want %+v", name, got, w)
		}
	}
	for _, name := range order {
		h := m[name].hdr
		if h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner names %q/%q, want numeric owners only", name, h.Uname, h.Gname)
		}
	}
	if got := string(m["home/user/notes"].body); got != "mine" {
		t.Errorf("notes body = %q", got)
	}
	if got, want := m["usr/bin/big"].hdr.Size, int64(3_200_000); got != want {
		t.Errorf("big size = %d, want %d", got, want)
	}
	if got := m["etc/future"].hdr.ModTime; !got.Equal(f.future) {
		t.Errorf("unclamped mtime = %v, want %v", got, f.future)
	}

	recs := m["etc/passwd"].hdr.PAXRecords
	if f.hasXattr && recs["SCHILY.xattr.user.kiln"] != "1" {
		t.Errorf("etc/passwd PAX records = %v, want SCHILY.xattr.user.kiln=1", recs)
	}
	if f.capValue != nil && m["usr/bin/ping"].hdr.PAXRecords["SCHILY.xattr.security.capability"] != string(f.capValue) {
		t.Errorf("usr/bin/ping PAX records = %q, want its security.capability", m["usr/bin/ping"].hdr.PAXRecords)
	}
	if _, ok := recs["SCHILY.xattr.trusted.overlay.x"]; ok {
		t.Errorf("trusted.* xattr was archived: %v", recs)
	}

	var bytesWant int64
	for _, name := range order {
		bytesWant += int64(len(m[name].body))
	}
	if st.Files != int64(len(order)) || st.Bytes != bytesWant {
		t.Errorf("stats = %+v, want Files %d Bytes %d", st, len(order), bytesWant)
	}
}

func TestWriteDevices(t *testing.T) {
	f := makeTree(t)
	data, _ := writeTree(t, f.root, Options{Devices: true})
	_, m := readTar(t, bytes.NewReader(data))

	for name, w := range map[string]struct {
		typ          byte
		major, minor int64
		mode         int64
	}{
		"dev/null":       {tar.TypeChar, 1, 3, 0o666},
		"dev/loop0":      {tar.TypeBlock, 7, 0, 0o660},
		"var/spool/fifo": {tar.TypeFifo, 0, 0, 0o620},
	} {
		h := m[name].hdr
		if h == nil {
			t.Errorf("%s missing with Devices on", name)
			continue
		}
		if h.Typeflag != w.typ || h.Devmajor != w.major || h.Devminor != w.minor || h.Mode != w.mode {
			t.Errorf("%s: type %c dev %d,%d mode %o; want %c %d,%d %o",
				name, h.Typeflag, h.Devmajor, h.Devminor, h.Mode, w.typ, w.major, w.minor, w.mode)
		}
	}
	if _, ok := m[f.socketRel]; ok {
		t.Errorf("socket %s archived", f.socketRel)
	}
}

func TestModTimeClampAndDeterminism(t *testing.T) {
	f := makeTree(t)
	clamp := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	opts := Options{ModTime: clamp}
	first, _ := writeTree(t, f.root, opts)
	second, _ := writeTree(t, f.root, opts)
	if !bytes.Equal(first, second) {
		t.Fatal("two writes of the same tree differ")
	}
	order, m := readTar(t, bytes.NewReader(first))
	if got := m["etc/future"].hdr.ModTime; !got.Equal(clamp) {
		t.Errorf("future mtime = %v, want clamped to %v", got, clamp)
	}
	info, err := os.Lstat(filepath.Join(f.root, "etc/passwd"))
	if err != nil {
		t.Fatal(err)
	}
	if got := m["etc/passwd"].hdr.ModTime; !got.Equal(info.ModTime().Truncate(time.Second)) {
		t.Errorf("older mtime changed: %v, file has %v", got, info.ModTime())
	}
	for _, name := range order {
		if m[name].hdr.ModTime.After(clamp) {
			t.Errorf("%s newer than the clamp: %v", name, m[name].hdr.ModTime)
		}
	}
}

func TestPrefix(t *testing.T) {
	f := makeTree(t)
	data, _ := writeTree(t, f.root, Options{Prefix: "/rootfs"})
	order, m := readTar(t, bytes.NewReader(data))
	if order[0] != "rootfs/" || m["rootfs/"].hdr.Typeflag != tar.TypeDir {
		t.Fatalf("first member = %q, want the rootfs/ directory", order[0])
	}
	info, err := os.Stat(f.root)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m["rootfs/"].hdr.Mode, int64(info.Mode().Perm()); got != want {
		t.Errorf("rootfs/ mode %o, want the root's %o", got, want)
	}
	for _, name := range order {
		if name[:7] != "rootfs/" {
			t.Errorf("member %q lacks the prefix", name)
		}
	}
	if got := m["rootfs/usr/bin/perl5.36"].hdr.Linkname; got != "rootfs/usr/bin/perl" {
		t.Errorf("hard link target %q, want the prefixed name", got)
	}
	if got := m["rootfs/bin"].hdr.Linkname; got != "usr/bin" {
		t.Errorf("symlink target %q must stay as on disk", got)
	}
}

func TestExcludeDirectoryAndFirstLink(t *testing.T) {
	f := makeTree(t)
	data, _ := writeTree(t, f.root, Options{Exclude: func(rel string, d fs.DirEntry) bool {
		return rel == "/home" || rel == "/usr/bin/perl"
	}})
	order, m := readTar(t, bytes.NewReader(data))
	for _, name := range order {
		if len(name) >= 5 && name[:5] == "home/" {
			t.Errorf("excluded directory content %s archived", name)
		}
	}
	// The first path of the inode is gone, so the second carries the data.
	h := m["usr/bin/perl5.36"].hdr
	if h == nil || h.Typeflag != tar.TypeReg || string(m["usr/bin/perl5.36"].body) != "perl binary" {
		t.Errorf("perl5.36 = %+v, want a regular file with the contents", h)
	}
}

func TestContainerExclude(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"proc/1", "dev/pts", "sys/kernel", "run/lock", "tmp", "boot/grub",
		"var/lib/apt/lists/partial", "var/cache/apt/archives/partial", "etc"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"proc/1/status", "sys/kernel/x", "run/lock/l", "tmp/junk", "boot/vmlinuz",
		"var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", "var/lib/apt/lists/lock",
		"var/cache/apt/archives/bash_5.2_amd64.deb", "var/cache/apt/archives/lock",
		"var/cache/apt/pkgcache.bin", "etc/hostname"} {
		if err := os.WriteFile(filepath.Join(root, p), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := writeTree(t, root, Options{Exclude: ContainerExclude})
	order, _ := readTar(t, bytes.NewReader(data))
	want := []string{
		"boot/", "dev/", "etc/", "etc/hostname", "proc/", "run/", "sys/", "tmp/",
		"var/", "var/cache/", "var/cache/apt/", "var/cache/apt/archives/", "var/cache/apt/archives/lock",
		"var/cache/apt/archives/partial/", "var/cache/apt/pkgcache.bin",
		"var/lib/", "var/lib/apt/", "var/lib/apt/lists/", "var/lib/apt/lists/partial/",
	}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Fatalf("members (-want +got):\n%s", diff)
	}
}

func TestProgress(t *testing.T) {
	f := makeTree(t)
	var calls [][2]int64
	_, st := writeTree(t, f.root, Options{Progress: func(done, total int64) {
		calls = append(calls, [2]int64{done, total})
	}})
	if len(calls) < 2 {
		t.Fatalf("progress calls = %v, want a start and an end", calls)
	}
	last := calls[len(calls)-1]
	if last[0] != st.Bytes || last[1] != st.Bytes {
		t.Errorf("last progress %v, want done = total = %d", last, st.Bytes)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] < calls[i-1][0] {
			t.Errorf("progress went backwards: %v", calls)
		}
	}
}

// cancelWriter cancels its context on the first write it sees.
type cancelWriter struct {
	cancel context.CancelFunc
	n      int
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.n += len(p)
	w.cancel()
	return len(p), nil
}

func TestCancel(t *testing.T) {
	f := makeTree(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelWriter{cancel: cancel}
	_, err := Write(ctx, w, f.root, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Write after cancel = %v, want context.Canceled", err)
	}
	if w.n > 64<<10 {
		t.Errorf("%d bytes written after cancellation, want it to stop at once", w.n)
	}
}

func TestBadRoot(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{file, filepath.Join(dir, "missing")} {
		if _, err := Write(context.Background(), io.Discard, root, Options{}); err == nil {
			t.Errorf("Write(%s) succeeded, want an error", root)
		}
	}
}
