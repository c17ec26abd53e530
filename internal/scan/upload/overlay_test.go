package upload

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kilnhq/kiln/internal/scan"
	"github.com/kilnhq/kiln/internal/scan/upload/uploadtest"
)

// member is one tar member read back.
type member struct {
	hdr     *tar.Header
	content string
}

func readTar(t *testing.T, data []byte) (map[string]member, []string) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	m := map[string]member{}
	var order []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return m, order
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read %s: %v", h.Name, err)
		}
		if _, dup := m[h.Name]; dup {
			t.Errorf("member %q twice", h.Name)
		}
		m[h.Name] = member{h, string(b)}
		order = append(order, h.Name)
	}
}

// capNetRaw is a security.capability value (VFS_CAP_REVISION_2, effective)
// granting cap_net_raw, as `setcap cap_net_raw+ep` writes it.
func capNetRaw() []byte {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], 0x02000001)
	binary.LittleEndian.PutUint32(b[4:], 1<<13)
	return b
}

// buildOverlayRoot is uploadtest.BuildDebian plus the entries that exercise
// every tar feature: special mode bits, hard links, xattrs, a FIFO, odd names.
func buildOverlayRoot(t *testing.T) (r *uploadtest.Root, xattrs, caps bool) {
	r = uploadtest.BuildDebian(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	r.Write("/usr/local/bin/suid", "setuid program")
	must(unix.Chmod(r.Host("/usr/local/bin/suid"), 0o4755))
	r.Mkdir("/srv/shared")
	must(unix.Chmod(r.Host("/srv/shared"), 0o1777))
	r.Mkdir("/srv/team")
	must(unix.Chmod(r.Host("/srv/team"), 0o2775))
	// hard links: both added; and an added path sharing the inode of a
	// modified package file that comes later in the walk
	r.Write("/srv/www/a.html", "same inode")
	must(os.Link(r.Host("/srv/www/a.html"), r.Host("/srv/www/b.html")))
	r.Mkdir("/opt")
	must(os.Link(r.Host("/usr/bin/cat"), r.Host("/opt/catcopy")))
	r.Symlink("/usr/bin/vim.basic", "/etc/alternatives/editor")
	must(unix.Mkfifo(r.Host("/srv/fifo"), 0o600))
	r.Write("/srv/odd\nname\xff", "odd")
	r.Write("/srv/cache/big.bin", "excluded by the caller")

	r.Write("/srv/www/tagged", "with xattrs")
	if err := unix.Setxattr(r.Host("/srv/www/tagged"), "user.note", []byte("hello\x00bin"), 0); err == nil {
		must(unix.Setxattr(r.Host("/srv/www"), "user.dir", []byte("d"), 0))
		must(unix.Setxattr(r.Host("/srv/www/tagged"), "trusted.secret", []byte("not archived"), 0))
		xattrs = true
	}
	r.Write("/usr/local/bin/ping", "ping")
	if err := unix.Setxattr(r.Host("/usr/local/bin/ping"), "security.capability", capNetRaw(), 0); err == nil {
		caps = true
	}
	r.Commit()
	return r, xattrs, caps
}

func writeOverlay(t *testing.T, root string, opts OverlayOptions) (map[string]member, []string, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := WriteOverlay(context.Background(), &buf, root, opts)
	if err != nil {
		t.Fatalf("WriteOverlay: %v", err)
	}
	m, order := readTar(t, buf.Bytes())
	return m, order, st
}

func TestWriteOverlayAll(t *testing.T) {
	r, xattrs, caps := buildOverlayRoot(t)
	var progressCalls int
	m, order, st := writeOverlay(t, r.Dir, OverlayOptions{All: true, Exclude: []string{"/srv/cache"},
		Progress: func(files, bytes int64) { progressCalls++ }})

	for _, name := range order {
		if strings.HasPrefix(name, "/") || strings.HasPrefix(name, "./") {
			t.Errorf("member %q is not relative", name)
		}
	}
	for _, absent := range []string{"etc/issue", "usr/bin/ls", "usr/lib/os-release", "tmp/scratch", "tmp/",
		"var/lib/dpkg/status", "srv/cache/", "srv/cache/big.bin", "etc/os-release", "bin"} {
		if _, ok := m[absent]; ok {
			t.Errorf("%s archived", absent)
		}
	}
	check := func(name string, typ byte, mode int64, content string) *tar.Header {
		t.Helper()
		mb, ok := m[name]
		if !ok {
			t.Fatalf("%q not archived; members: %q", name, order)
		}
		h := mb.hdr
		if h.Typeflag != typ || h.Mode != mode || mb.content != content {
			t.Errorf("%s: type %c mode %o content %q; want %c %o %q", name, h.Typeflag, h.Mode, mb.content, typ, mode, content)
		}
		if h.Format != tar.FormatPAX && h.Format != tar.FormatUSTAR {
			t.Errorf("%s: format %v", name, h.Format)
		}
		if h.ModTime.IsZero() || h.ModTime.Nanosecond() != 0 || time.Since(h.ModTime) > time.Hour {
			t.Errorf("%s: mtime %v", name, h.ModTime)
		}
		return h
	}
	check("etc/motd", tar.TypeReg, 0o644, "welcome to web01\n")
	check("usr/bin/cat", tar.TypeLink, 0o644, "") // the inode was archived first as opt/catcopy
	if l := m["usr/bin/cat"].hdr.Linkname; l != "opt/catcopy" {
		t.Errorf("usr/bin/cat links to %q", l)
	}
	check("opt/catcopy", tar.TypeReg, 0o644, "trojan cat")
	check("opt/app/", tar.TypeDir, 0o755, "")
	check("opt/app/bin/run", tar.TypeReg, 0o755, "#!/bin/sh\necho run\n")
	check("usr/local/bin/suid", tar.TypeReg, 0o4755, "setuid program")
	check("srv/shared/", tar.TypeDir, 0o1777, "")
	check("srv/team/", tar.TypeDir, 0o2775, "")
	check("srv/www/a.html", tar.TypeReg, 0o644, "same inode")
	if h := check("srv/www/b.html", tar.TypeLink, 0o644, ""); h.Linkname != "srv/www/a.html" {
		t.Errorf("b.html links to %q", h.Linkname)
	}
	if h := check("etc/alternatives/editor", tar.TypeSymlink, 0o777, ""); h.Linkname != "/usr/bin/vim.basic" {
		t.Errorf("symlink target %q", h.Linkname)
	}
	check("srv/fifo", tar.TypeFifo, 0o600, "")
	check("srv/odd\nname\xff", tar.TypeReg, 0o644, "odd")

	h := check("root/.bashrc", tar.TypeReg, 0o644, "#\n")
	if h.Uid != 0 || h.Gid != 0 || h.Uname != "root" || h.Gname != "root" {
		t.Errorf("root/.bashrc owner %d:%d %s:%s", h.Uid, h.Gid, h.Uname, h.Gname)
	}
	if os.Geteuid() == 0 {
		h := check("home/ops/notes.txt", tar.TypeReg, 0o644, "remember\n")
		if h.Uid != 1000 || h.Gid != 1000 || h.Uname != "ops" || h.Gname != "ops" {
			t.Errorf("notes.txt owner %d:%d %s:%s, want 1000:1000 ops:ops (the scanned system's names)", h.Uid, h.Gid, h.Uname, h.Gname)
		}
	}
	if xattrs {
		h := check("srv/www/tagged", tar.TypeReg, 0o644, "with xattrs")
		want := map[string]string{"SCHILY.xattr.user.note": "hello\x00bin"}
		if !mapsEqual(h.PAXRecords, want) {
			t.Errorf("file xattrs %q, want %q", h.PAXRecords, want)
		}
		if got := m["srv/www/"].hdr.PAXRecords["SCHILY.xattr.user.dir"]; got != "d" {
			t.Errorf("dir xattr %q", got)
		}
	} else {
		t.Log("no user xattrs on this filesystem: xattr checks skipped")
	}
	if caps {
		h := check("usr/local/bin/ping", tar.TypeReg, 0o644, "ping")
		if got := h.PAXRecords["SCHILY.xattr.security.capability"]; got != string(capNetRaw()) {
			t.Errorf("capability %x, want %x", got, capNetRaw())
		}
	} else {
		t.Log("cannot set security.capability here: capability check skipped")
	}

	var files, bytes int64
	for _, name := range order {
		if h := m[name].hdr; h.Typeflag == tar.TypeReg {
			files++
			bytes += h.Size
		}
	}
	if st.Files != files || st.Bytes != bytes || st.Entries != int64(len(order)) || st.Filtered != 0 || st.Skipped != 0 {
		t.Errorf("stats %+v; the tar has %d members, %d files, %d bytes", st, len(order), files, bytes)
	}
	if st.Overlay.Excluded == 0 || st.Overlay.Modified != 2 {
		t.Errorf("overlay stats %+v", st.Overlay)
	}
	if progressCalls != len(order) {
		t.Errorf("progress called %d times for %d members", progressCalls, len(order))
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Without All, only the modified package entries go: the rebuild installs the
// packages and needs what was changed in them.
func TestWriteOverlayModifiedOnly(t *testing.T) {
	r, _, _ := buildOverlayRoot(t)
	m, order, st := writeOverlay(t, r.Dir, OverlayOptions{})
	if want := []string{"etc/motd", "usr/bin/cat"}; !slices.Equal(order, want) {
		t.Fatalf("members %q, want %q", order, want)
	}
	// usr/bin/cat shares its inode with the added opt/catcopy, left out: it
	// must carry its content instead of linking to a missing member.
	if mb := m["usr/bin/cat"]; mb.hdr.Typeflag != tar.TypeReg || mb.content != "trojan cat" {
		t.Errorf("usr/bin/cat: type %c content %q", mb.hdr.Typeflag, mb.content)
	}
	if st.Filtered == 0 || st.Entries != 2 || st.Files != 2 {
		t.Errorf("stats %+v", st)
	}
}

// A live system changes while it is archived. The tar must stay readable.
func TestArchiverLiveChanges(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"gone": "first path of an inode", "shrinks": "0123456789", "grows": "abc"} {
		if err := os.WriteFile(dir+"/"+name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(dir+"/gone", dir+"/link"); err != nil {
		t.Fatal(err)
	}
	sr, err := openScannedRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	var buf bytes.Buffer
	a := &archiver{ctx: context.Background(), root: sr, tw: tar.NewWriter(&buf), all: true,
		log: testLogger(t), buf: make([]byte, 4), xbuf: make([]byte, 64<<10),
		written: map[string]bool{}, skipped: map[string]bool{}, moved: map[string]string{}}
	file := func(p string) scan.Entry {
		return scan.Entry{Path: p, Kind: scan.KindFile, Mode: 0o644, Reason: scan.ReasonAdded, ModTime: time.Now()}
	}

	// gone vanishes after the walk: skipped; its hard link then carries the content.
	os.Remove(dir + "/gone")
	mustAdd(t, a, file("/gone"))
	link := file("/link")
	link.Kind, link.LinkTarget = scan.KindHardlink, "/gone"
	mustAdd(t, a, link)
	link2 := file("/link2")
	link2.Kind, link2.LinkTarget = scan.KindHardlink, "/gone"
	mustAdd(t, a, link2) // a third path of the inode links to the second

	// shrinks: the header says 10 bytes; the file is cut to 4 once it is open.
	f, err := sr.openFile("/shrinks")
	if err != nil {
		t.Fatal(err)
	}
	a.tw.WriteHeader(&tar.Header{Name: "shrinks", Size: 10, Mode: 0o644, Typeflag: tar.TypeReg})
	os.Truncate(dir+"/shrinks", 4)
	changed, err := a.copyContent(f, 10)
	f.Close()
	if err != nil || changed == nil {
		t.Fatalf("copyContent of a shrinking file: changed %v, err %v", changed, err)
	}
	// grows: more than the header's size is there; the member keeps its size.
	f, _ = sr.openFile("/grows")
	a.tw.WriteHeader(&tar.Header{Name: "grows", Size: 2, Mode: 0o644, Typeflag: tar.TypeReg})
	changed, err = a.copyContent(f, 2)
	f.Close()
	if err != nil || !errors.Is(changed, errGrew) {
		t.Fatalf("copyContent of a growing file: changed %v, err %v", changed, err)
	}
	if err := a.tw.Close(); err != nil {
		t.Fatal(err)
	}

	m, order := readTar(t, buf.Bytes())
	if want := []string{"link", "link2", "shrinks", "grows"}; !slices.Equal(order, want) {
		t.Fatalf("members %q, want %q", order, want)
	}
	if mb := m["link"]; mb.hdr.Typeflag != tar.TypeReg || mb.content != "first path of an inode" {
		t.Errorf("link: %c %q", mb.hdr.Typeflag, mb.content)
	}
	if h := m["link2"].hdr; h.Typeflag != tar.TypeLink || h.Linkname != "link" {
		t.Errorf("link2: %c -> %q", h.Typeflag, h.Linkname)
	}
	if got := m["shrinks"].content; got != "0123\x00\x00\x00\x00\x00\x00" {
		t.Errorf("shrunk member %q: want the rest as zeros", got)
	}
	if got := m["grows"].content; got != "ab" {
		t.Errorf("grown member %q", got)
	}
	if a.stats.Skipped != 1 {
		t.Errorf("skipped %d, want 1", a.stats.Skipped)
	}
}

func mustAdd(t *testing.T, a *archiver, e scan.Entry) {
	t.Helper()
	if err := a.add(e); err != nil {
		t.Fatalf("add %s: %v", e.Path, err)
	}
}

// A symlink swapped in for a directory after the walk must not be followed.
func TestOpenFileRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(dir+"/real", 0o755)
	os.WriteFile(dir+"/real/f", []byte("x"), 0o644)
	os.Symlink("real", dir+"/swapped")
	os.Symlink("/etc/passwd", dir+"/abs")
	sr, err := openScannedRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	if f, err := sr.openFile("/real/f"); err != nil {
		t.Fatal(err)
	} else {
		f.Close()
	}
	for _, p := range []string{"/swapped/f", "/abs", "/../etc/passwd"} {
		if f, err := sr.openFile(p); err == nil {
			f.Close()
			t.Errorf("%s opened", p)
		}
	}
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.after -= len(p); w.after < 0 {
		return 0, errors.New("pipe closed")
	}
	return len(p), nil
}

func TestWriteOverlayStopsOnWriteError(t *testing.T) {
	r, _, _ := buildOverlayRoot(t)
	// Bigger than WriteOverlay's buffer, so the writes reach w before the end.
	r.Write("/srv/big", strings.Repeat("x", 1<<20))
	_, err := WriteOverlay(context.Background(), &failingWriter{after: 1000}, r.Dir, OverlayOptions{All: true})
	if err == nil || !strings.Contains(err.Error(), "pipe closed") {
		t.Fatalf("err = %v", err)
	}
}

func TestWriteOverlayBadRoot(t *testing.T) {
	if _, err := WriteOverlay(context.Background(), io.Discard, t.TempDir()+"/missing", OverlayOptions{}); err == nil {
		t.Fatal("no error for a missing root")
	}
	// A root without a dpkg database cannot tell added from modified.
	if _, err := WriteOverlay(context.Background(), io.Discard, t.TempDir(), OverlayOptions{}); err == nil {
		t.Fatal("no error without a dpkg database")
	}
}

// TestWriteOverlayThroughput measures files/s on many small added files.
func TestWriteOverlayThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	r := uploadtest.BuildDebian(t)
	const dirs, perDir = 40, 250
	for d := range dirs {
		dir := r.Host(fmt.Sprintf("/srv/data/d%02d", d))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := range perDir {
			if err := os.WriteFile(fmt.Sprintf("%s/f%03d", dir, f), []byte("small file content\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.Commit()
	start := time.Now()
	st, err := WriteOverlay(context.Background(), io.Discard, r.Dir, OverlayOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	if st.Files < dirs*perDir {
		t.Fatalf("%d files archived, want ≥ %d", st.Files, dirs*perDir)
	}
	t.Logf("WriteOverlay: %d entries (%d files) in %v: %.0f files/s (page cache warm, 2 shared cores)",
		st.Entries, st.Files, el.Round(time.Millisecond), float64(st.Files)/el.Seconds())
}
