package container

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testTime is the ModTime of the test images.
var testTime = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

const osRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`

// fakeRoot builds a small configured root tree: a few files laid out as in
// Debian (/etc/os-release a symlink into /usr/lib), a file owned by uid
// 1000, /dev/null, and content under /proc, /tmp and the apt caches that a
// container image must not carry. Owners and the device need root; without
// it they are left out and owned reports false.
func fakeRoot(t *testing.T) (root string, owned bool) {
	t.Helper()
	root = t.TempDir()
	owned = os.Geteuid() == 0
	for _, d := range []string{"etc", "usr/bin", "usr/lib", "home/user", "dev", "proc/1", "tmp",
		"var/lib/apt/lists/partial", "var/cache/apt/archives"} {
		mustOK(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	mustOK(t, os.Chmod(filepath.Join(root, "tmp"), 0o777|os.ModeSticky))
	files := map[string]string{
		"usr/lib/os-release": osRelease,
		"etc/hostname":       "builder\n",
		"usr/bin/bash":       "#!fake bash\n",
		"home/user/notes":    "mine\n",
		"proc/1/status":      "running\n",
		"tmp/junk":           "junk\n",
		"var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease": "lists\n",
		"var/cache/apt/archives/bash_5.2.15-2_amd64.deb":                   "deb\n",
	}
	for rel, body := range files {
		mustOK(t, os.WriteFile(filepath.Join(root, rel), []byte(body), 0o644))
	}
	mustOK(t, os.Chmod(filepath.Join(root, "usr/bin/bash"), 0o755))
	mustOK(t, os.Symlink("../usr/lib/os-release", filepath.Join(root, "etc/os-release")))
	mustOK(t, os.Symlink("usr/bin", filepath.Join(root, "bin")))
	if owned {
		mustOK(t, os.Lchown(filepath.Join(root, "home/user"), 1000, 1000))
		mustOK(t, os.Lchown(filepath.Join(root, "home/user/notes"), 1000, 1000))
		mustOK(t, unix.Mknod(filepath.Join(root, "dev/null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	}
	return root, owned
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// tarEntry is one member read back: its header and, for small files, data.
type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

// readArchive reads a tar, gunzipping it when it starts with the gzip
// magic, and returns the members in order and by name.
func readArchive(t *testing.T, path string) ([]string, map[string]tarEntry, bool) {
	t.Helper()
	f, err := os.Open(path)
	mustOK(t, err)
	defer f.Close()
	br := bufio.NewReader(f)
	magic, _ := br.Peek(2)
	var r io.Reader = br
	gzipped := len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b
	if gzipped {
		zr, err := gzip.NewReader(br)
		mustOK(t, err)
		r = zr
	}
	var order []string
	byName := make(map[string]tarEntry)
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return order, byName, gzipped
		}
		mustOK(t, err)
		data, err := io.ReadAll(tr)
		mustOK(t, err)
		if _, dup := byName[hdr.Name]; dup {
			t.Fatalf("member %s appears twice", hdr.Name)
		}
		order = append(order, hdr.Name)
		byName[hdr.Name] = tarEntry{hdr: hdr, data: data}
	}
}

// extract unpacks an archive of plain files and directories into dir, as a
// user would before pointing an OCI tool at the layout.
func extract(t *testing.T, archive, dir string) {
	t.Helper()
	order, m, _ := readArchive(t, archive)
	for _, name := range order {
		e := m[name]
		p := filepath.Join(dir, filepath.FromSlash(name))
		if !strings.HasPrefix(p, filepath.Clean(dir)+string(filepath.Separator)) {
			t.Fatalf("member %s escapes the directory", name)
		}
		switch e.hdr.Typeflag {
		case tar.TypeDir:
			mustOK(t, os.MkdirAll(p, 0o755))
		case tar.TypeReg:
			mustOK(t, os.MkdirAll(filepath.Dir(p), 0o755))
			mustOK(t, os.WriteFile(p, e.data, 0o644))
		default:
			t.Fatalf("unexpected member type %c for %s", e.hdr.Typeflag, name)
		}
	}
}

// dirEmpty fails the test when dir holds anything.
func dirEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	mustOK(t, err)
	for _, e := range entries {
		t.Errorf("left behind in the work directory: %s", e.Name())
	}
}

// layerMembers reads an uncompressed layer tar stream.
func layerMembers(t *testing.T, r io.Reader) ([]string, map[string]*tar.Header) {
	t.Helper()
	var order []string
	m := make(map[string]*tar.Header)
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return order, m
		}
		mustOK(t, err)
		order = append(order, hdr.Name)
		m[hdr.Name] = hdr
	}
}

// checkTreeMembers asserts what any packaging of fakeRoot must hold, with
// prefix before every name ("" for a layer, "rootfs/" for LXC).
func checkTreeMembers(t *testing.T, prefix string, order []string, m map[string]*tar.Header, owned bool) {
	t.Helper()
	for _, name := range []string{"etc/hostname", "usr/lib/os-release", "usr/bin/bash", "home/user/notes",
		"dev/", "proc/", "tmp/", "var/lib/apt/lists/", "var/lib/apt/lists/partial/", "var/cache/apt/archives/"} {
		if m[prefix+name] == nil {
			t.Errorf("member %s%s missing", prefix, name)
		}
	}
	if h := m[prefix+"etc/os-release"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "../usr/lib/os-release" {
		t.Errorf("etc/os-release = %+v, want the symlink kept", h)
	}
	if h := m[prefix+"tmp/"]; h != nil && h.Mode != 0o1777 {
		t.Errorf("tmp/ mode %o, want 1777", h.Mode)
	}
	if h := m[prefix+"usr/bin/bash"]; h != nil && h.Mode != 0o755 {
		t.Errorf("usr/bin/bash mode %o, want 755", h.Mode)
	}
	if h := m[prefix+"home/user/notes"]; owned && h != nil && (h.Uid != 1000 || h.Gid != 1000 || h.Uname != "") {
		t.Errorf("home/user/notes owner %d:%d %q, want 1000:1000 numeric", h.Uid, h.Gid, h.Uname)
	}
	for _, name := range order {
		rel := strings.TrimPrefix(name, prefix)
		for _, emptied := range []string{"dev/", "proc/", "tmp/"} {
			if strings.HasPrefix(rel, emptied) && rel != emptied {
				t.Errorf("member %s must not be in a container image", name)
			}
		}
		if strings.HasPrefix(rel, "var/lib/apt/lists/") && !strings.HasSuffix(rel, "/") {
			t.Errorf("package list %s must not be in a container image", name)
		}
		if strings.HasSuffix(rel, ".deb") {
			t.Errorf("cached package %s archived", name)
		}
		if h := m[name]; h.ModTime.After(testTime) {
			t.Errorf("%s newer than the image (%v)", name, h.ModTime)
		}
	}
}
