package overlay

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mtime is every test member's modification time.
var mtime = time.Date(2024, 3, 1, 12, 30, 45, 0, time.UTC)

// member is one tar member to write: its header (Size is set from body for
// regular files when zero) and content.
type member struct {
	hdr  tar.Header
	body string
}

func reg(name, body string, mode int64) member {
	return member{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode}, body: body}
}

func dirm(name string, mode int64) member {
	return member{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode}}
}

func link(name, target string) member {
	return member{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}}
}

func hard(name, target string) member {
	return member{hdr: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, Mode: 0o644}}
}

func fifom(name string, mode int64) member {
	return member{hdr: tar.Header{Typeflag: tar.TypeFifo, Name: name, Mode: mode}}
}

func owned(m member, uid, gid int, uname, gname string) member {
	m.hdr.Uid, m.hdr.Gid, m.hdr.Uname, m.hdr.Gname = uid, gid, uname, gname
	return m
}

func withPAX(m member, kv ...string) member {
	if m.hdr.PAXRecords == nil {
		m.hdr.PAXRecords = map[string]string{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m.hdr.PAXRecords[kv[i]] = kv[i+1]
	}
	return m
}

// tarOf writes members as a PAX tar, the way Kiln's agent does.
func tarOf(t testing.TB, ms ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range ms {
		h := m.hdr
		if h.Typeflag == tar.TypeReg && h.Size == 0 {
			h.Size = int64(len(m.body))
		}
		if h.Typeflag != tar.TypeXGlobalHeader {
			if h.ModTime.IsZero() {
				h.ModTime = mtime
			}
			h.Format = tar.FormatPAX
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("write header %q: %v", h.Name, err)
		}
		if m.body != "" {
			if _, err := tw.Write([]byte(m.body)); err != nil {
				t.Fatalf("write %q: %v", h.Name, err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gzipOf(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sandbox is a tree to apply to, with a sentinel directory next to it that
// nothing may ever write to.
type sandbox struct {
	base, root, sentinel string
}

func newSandbox(t *testing.T) sandbox {
	t.Helper()
	base := t.TempDir()
	s := sandbox{base: base, root: filepath.Join(base, "root"), sentinel: filepath.Join(base, "sentinel")}
	for _, d := range []string{s.root, s.sentinel} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// mergedUsr gives the tree Debian's merged /usr layout and accounts in
// which postgres has other ids than on the scanned machine.
func (s sandbox) mergedUsr(t *testing.T) {
	t.Helper()
	s.mkdir(t, "usr/bin", "usr/lib", "usr/share", "etc")
	s.symlink(t, "usr/bin", "bin")
	s.symlink(t, "usr/lib", "lib")
	s.write(t, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\npostgres:x:107:110:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n")
	s.write(t, "etc/group", "root:x:0:\npostgres:x:110:\n")
}

func (s sandbox) path(rel string) string { return filepath.Join(s.root, rel) }

func (s sandbox) mkdir(t *testing.T, rels ...string) {
	t.Helper()
	for _, rel := range rels {
		if err := os.MkdirAll(s.path(rel), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func (s sandbox) write(t *testing.T, rel, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(s.path(rel)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.path(rel), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (s sandbox) symlink(t *testing.T, target, rel string) {
	t.Helper()
	if err := os.Symlink(target, s.path(rel)); err != nil {
		t.Fatal(err)
	}
}

func (s sandbox) read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(s.path(rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// contained checks that nothing was written next to the root, nor in the
// sentinel, and that no temporary name was left in the tree.
func (s sandbox) contained(t testing.TB) {
	t.Helper()
	ents, err := os.ReadDir(s.base)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.Name() != "root" && e.Name() != "sentinel" {
			t.Errorf("written next to the root: %s", e.Name())
		}
	}
	ents, err = os.ReadDir(s.sentinel)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("written into the sentinel: %s", e.Name())
	}
	filepath.WalkDir(s.root, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".kiln-overlay-") {
			t.Errorf("temporary left behind: %s", p)
		}
		return nil
	})
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("Apply sets owners and capabilities: needs root")
	}
}
