package overlay

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/kilnhq/kiln/internal/treefs/treefstest"
)

func applyBytes(t *testing.T, s sandbox, data []byte, opts ApplyOptions) (ApplyResult, error) {
	t.Helper()
	res, err := Apply(context.Background(), bytes.NewReader(data), s.root, opts)
	s.contained(t)
	return res, err
}

func lstat(t *testing.T, p string) *unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return &st
}

func TestApplyNormal(t *testing.T) {
	requireRoot(t)
	s := newSandbox(t)
	s.mergedUsr(t)
	// The base tree shares inodes with a cache: a file hard-linked elsewhere
	// must be replaced, never written through.
	s.write(t, "usr/share/base-motd", "base motd\n")
	if err := os.Link(s.path("usr/share/base-motd"), s.path("etc/motd")); err != nil {
		t.Fatal(err)
	}
	owners, err := OwnersByName(s.root)
	if err != nil {
		t.Fatal(err)
	}
	data := tarOf(t, normalMembers()...)
	res, err := applyBytes(t, s, data, ApplyOptions{Skip: DefaultSkip, Owners: owners})
	if err != nil {
		t.Fatal(err)
	}
	checked, err := Check(context.Background(), bytes.NewReader(data), Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Skipped: the archive's root, /etc/passwd (DefaultSkip), and lib/ (the
	// tree's lib -> usr/lib stays). Replaced: /etc/motd.
	want := ApplyResult{Applied: 12, Skipped: 3, Replaced: 1, Summary: checked}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}

	for rel, body := range map[string]string{
		"etc/hosts": "127.0.0.1 localhost\n", "etc/motd": "scanned motd\n", "usr/share/base-motd": "base motd\n",
		"etc/passwd":         "root:x:0:0:root:/root:/bin/bash\npostgres:x:107:110:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash\n",
		"usr/bin/kiln-agent": "agent", "usr/lib/kiln/plugin.so": "\x7fELF", "var/lib/postgresql/PG_VERSION": "15\n",
	} {
		if got := s.read(t, rel); got != body {
			t.Errorf("%s = %q, want %q", rel, got, body)
		}
	}
	for _, l := range []struct{ rel, target string }{{"bin", "usr/bin"}, {"lib", "usr/lib"}, {"etc/alternatives/editor", "/usr/bin/vim.basic"}} {
		if got, err := os.Readlink(s.path(l.rel)); err != nil || got != l.target {
			t.Errorf("%s -> %q (%v), want -> %q", l.rel, got, err, l.target)
		}
	}

	type meta struct {
		Type, Mode uint32
		UID, GID   uint32
		Mtime      int64
	}
	metaOf := func(rel string) meta {
		st := lstat(t, s.path(rel))
		return meta{st.Mode & unix.S_IFMT, st.Mode & 0o7777, st.Uid, st.Gid, st.Mtim.Sec}
	}
	at := mtime.Unix()
	for rel, w := range map[string]meta{
		"etc/hosts":                       {unix.S_IFREG, 0o644, 0, 0, at},
		"var/lib/postgresql":              {unix.S_IFDIR, 0o700, 107, 110, metaOf("var/lib/postgresql").Mtime},
		"var/lib/postgresql/PG_VERSION":   {unix.S_IFREG, 0o600, 107, 110, at},
		"usr/local/bin/tool":              {unix.S_IFREG, 0o4755, 0, 0, at},
		"var/spool/postfix/public/pickup": {unix.S_IFIFO, 0o622, 0, 0, at},
		"var/spool/postfix/public":        {unix.S_IFDIR, 0o755, 0, 0, metaOf("var/spool/postfix/public").Mtime},
		"etc/alternatives/editor":         {unix.S_IFLNK, 0o777, 0, 0, at},
	} {
		if got := metaOf(rel); got != w {
			t.Errorf("%s: %+v, want %+v", rel, got, w)
		}
	}
	if a, b := lstat(t, s.path("usr/local/bin/tool")), lstat(t, s.path("usr/local/bin/tool2")); a.Ino != b.Ino || a.Nlink != 2 {
		t.Errorf("tool2 is not a hard link of tool: inodes %d, %d; links %d", a.Ino, b.Ino, a.Nlink)
	}
	if got := xattr(t, s.path("usr/local/bin/tool"), "security.capability"); got != capNetRaw {
		t.Errorf("capability = %q", got)
	}
	if got := xattr(t, s.path("var/lib/postgresql/PG_VERSION"), "user.kiln"); got != "yes" {
		t.Errorf("user.kiln = %q", got)
	}
	if got := xattr(t, s.path("var/lib/postgresql/PG_VERSION"), "trusted.overlay.origin"); got != "" {
		t.Errorf("trusted attribute applied: %q", got)
	}
}

func xattr(t *testing.T, p, name string) string {
	t.Helper()
	buf := make([]byte, 256)
	n, err := unix.Lgetxattr(p, name, buf)
	if errors.Is(err, unix.ENODATA) {
		return ""
	}
	if err != nil {
		t.Fatalf("getxattr %s %s: %v", p, name, err)
	}
	return string(buf[:n])
}

func TestApplyConflicts(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name     string
		setup    func(t *testing.T, s sandbox)
		members  []member
		conflict bool
		check    func(t *testing.T, s sandbox, res ApplyResult)
	}{{
		name:     "file over a non-empty directory",
		setup:    func(t *testing.T, s sandbox) { s.write(t, "srv/data/keep", "keep") },
		members:  []member{reg("srv/data", "x", 0o644)},
		conflict: true,
		check: func(t *testing.T, s sandbox, _ ApplyResult) {
			if s.read(t, "srv/data/keep") != "keep" {
				t.Error("the directory was touched")
			}
		},
	}, {
		name:    "file over an empty directory",
		setup:   func(t *testing.T, s sandbox) { s.mkdir(t, "srv/empty") },
		members: []member{reg("srv/empty", "x", 0o644)},
		check: func(t *testing.T, s sandbox, res ApplyResult) {
			if s.read(t, "srv/empty") != "x" || res.Replaced != 1 {
				t.Errorf("not replaced: %+v", res)
			}
		},
	}, {
		name:    "symlink over a non-empty directory",
		setup:   func(t *testing.T, s sandbox) { s.write(t, "srv/data/keep", "keep") },
		members: []member{link("srv/data", "/elsewhere")}, conflict: true,
	}, {
		name:    "directory over a file",
		setup:   func(t *testing.T, s sandbox) { s.write(t, "opt/x", "file") },
		members: []member{dirm("opt/x/", 0o750), reg("opt/x/y", "y", 0o644)},
		check: func(t *testing.T, s sandbox, res ApplyResult) {
			if s.read(t, "opt/x/y") != "y" || res.Replaced != 1 {
				t.Errorf("not replaced: %+v", res)
			}
		},
	}, {
		name:     "parent is a file in the tree",
		setup:    func(t *testing.T, s sandbox) { s.write(t, "opt/f", "file") },
		members:  []member{reg("opt/f/g", "g", 0o644)},
		conflict: true,
	}, {
		name:     "parent symlink leads to nothing",
		setup:    func(t *testing.T, s sandbox) { s.mkdir(t, "etc"); s.symlink(t, "/nowhere", "etc/dangling") },
		members:  []member{reg("etc/dangling/x", "x", 0o644)},
		conflict: true,
	}, {
		name: "symlink over a symlink, then a file where a symlink was",
		setup: func(t *testing.T, s sandbox) {
			s.mkdir(t, "etc")
			s.symlink(t, "old", "etc/l1")
			s.symlink(t, "old", "etc/l2")
		},
		members: []member{link("etc/l1", "new"), reg("etc/l2", "now a file", 0o644)},
		check: func(t *testing.T, s sandbox, res ApplyResult) {
			if got, _ := os.Readlink(s.path("etc/l1")); got != "new" || s.read(t, "etc/l2") != "now a file" || res.Replaced != 2 {
				t.Errorf("l1 -> %q, l2 %q, %+v", got, s.read(t, "etc/l2"), res)
			}
		},
	}, {
		name:    "directory over a dangling symlink",
		setup:   func(t *testing.T, s sandbox) { s.mkdir(t, "opt"); s.symlink(t, "/nowhere", "opt/d") },
		members: []member{dirm("opt/d/", 0o755), reg("opt/d/f", "f", 0o644)},
		check: func(t *testing.T, s sandbox, res ApplyResult) {
			if st := lstat(t, s.path("opt/d")); st.Mode&unix.S_IFMT != unix.S_IFDIR || s.read(t, "opt/d/f") != "f" {
				t.Error("not replaced by a directory")
			}
		},
	}, {
		// Cached parents must not outlive a symlink they went through: w/two
		// resolves through the tree's w -> p, which the archive repointed.
		name: "replaced symlink is resolved again",
		setup: func(t *testing.T, s sandbox) {
			s.mkdir(t, "a", "b")
			s.symlink(t, "/a", "p")
			s.symlink(t, "p", "w")
		},
		members: []member{reg("w/one", "1", 0o644), link("p", "/b"), reg("w/two", "2", 0o644)},
		check: func(t *testing.T, s sandbox, res ApplyResult) {
			if s.read(t, "a/one") != "1" || s.read(t, "b/two") != "2" {
				t.Error("w/one not in a/ or w/two not in b/")
			}
		},
	}, {
		name:    "hard link target replaced through a tree symlink",
		setup:   func(t *testing.T, s sandbox) { s.mkdir(t, "r"); s.symlink(t, "r", "p") },
		members: []member{reg("p/x", "mine", 0o644), link("r/x", "/etc/shadow"), hard("h", "p/x")},
		// Check cannot know p/x and r/x are one place in the tree; Apply links
		// only to the file it extracted, never to what stands there now.
		conflict: true,
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSandbox(t)
			c.setup(t, s)
			res, err := applyBytes(t, s, tarOf(t, c.members...), ApplyOptions{})
			switch {
			case c.conflict && !errors.Is(err, ErrConflict):
				t.Fatalf("err = %v, want ErrConflict", err)
			case c.conflict && errors.Is(err, ErrRejected):
				t.Fatalf("err = %v is a conflict, not a rejection", err)
			case !c.conflict && err != nil:
				t.Fatal(err)
			}
			if c.check != nil {
				c.check(t, s, res)
			}
		})
	}
}

// Symlinks already in the tree are followed as a chroot would: never out of
// the root, whether absolute or climbing with "..".
func TestApplyTreeSymlinksStayInside(t *testing.T) {
	requireRoot(t)
	for _, c := range []struct {
		name   string
		target func(s sandbox) string // the tree's etc/link target
		inside string                 // where etc/link leads inside the root
	}{
		{"absolute", func(s sandbox) string { return s.sentinel }, ""},
		{"dotdot", func(s sandbox) string { return "../../../../../../../sentinel" }, "sentinel"},
	} {
		for _, exists := range []bool{false, true} {
			name := c.name + "/missing inside"
			if exists {
				name = c.name + "/present inside"
			}
			t.Run(name, func(t *testing.T) {
				s := newSandbox(t)
				s.mkdir(t, "etc")
				target := c.target(s)
				s.symlink(t, target, "etc/link")
				inside := c.inside
				if inside == "" {
					inside = target[1:]
				}
				if exists {
					s.mkdir(t, inside)
				}
				_, err := applyBytes(t, s, tarOf(t, reg("etc/link/file", "x", 0o644), dirm("etc/link/", 0o700)), ApplyOptions{})
				if !exists {
					if !errors.Is(err, ErrConflict) {
						t.Fatalf("err = %v, want ErrConflict (the link leads to nothing inside the root)", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got := s.read(t, filepath.Join(inside, "file")); got != "x" {
					t.Errorf("file inside the root = %q", got)
				}
				if got, _ := os.Readlink(s.path("etc/link")); got != target {
					t.Errorf("the tree's symlink was replaced: -> %q", got)
				}
			})
		}
	}
}

func TestApplySkip(t *testing.T) {
	requireRoot(t)
	s := newSandbox(t)
	s.write(t, "etc/passwd", "tree")
	data := tarOf(t,
		dirm("boot/", 0o755), reg("boot/vmlinuz", "old kernel", 0o644), reg("boot/grub/grub.cfg", "x", 0o644),
		reg("etc/passwd", "archive", 0o644), hard("root/passwd.bak", "etc/passwd"),
		dirm("opt/secret/", 0o700), reg("opt/secret/a/b", "b", 0o600), reg("opt/kept", "k", 0o644))
	res, err := applyBytes(t, s, data, ApplyOptions{Skip: func(p string) bool { return DefaultSkip(p) || p == "/opt/secret" }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 7 || res.Applied != 1 {
		t.Errorf("result %+v, want 7 skipped (a hard link to a skipped file too), 1 applied", res)
	}
	if s.read(t, "etc/passwd") != "tree" || s.read(t, "opt/kept") != "k" {
		t.Error("skip not honoured")
	}
	for _, rel := range []string{"boot", "root/passwd.bak", "opt/secret"} {
		if _, err := os.Lstat(s.path(rel)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists", rel)
		}
	}
}

func TestOwnersByName(t *testing.T) {
	s := newSandbox(t)
	s.mergedUsr(t)
	owners, err := OwnersByName(s.root)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		uname, gname     string
		uid, gid, wu, wg int
	}{
		{"postgres", "postgres", 105, 109, 107, 110},
		{"", "", 105, 109, 105, 109},
		{"nobody-here", "postgres", 5, 6, 5, 110},
		{"root", "root", 0, 0, 0, 0},
	} {
		if u, g := owners(c.uname, c.gname, c.uid, c.gid); u != c.wu || g != c.wg {
			t.Errorf("owners(%q, %q, %d, %d) = %d, %d; want %d, %d", c.uname, c.gname, c.uid, c.gid, u, g, c.wu, c.wg)
		}
	}
	// A tree without accounts maps nothing; a passwd symlinked out of the
	// tree is not read.
	empty := newSandbox(t)
	if owners, err := OwnersByName(empty.root); err != nil {
		t.Fatal(err)
	} else if u, g := owners("root", "root", 7, 8); u != 7 || g != 8 {
		t.Errorf("empty tree maps root to %d:%d", u, g)
	}
	empty.mkdir(t, "etc")
	empty.symlink(t, "/etc/passwd", "etc/passwd")
	if _, err := OwnersByName(empty.root); !errors.Is(err, unix.ELOOP) {
		t.Errorf("symlinked passwd: %v", err)
	}
}

// A filesystem mounted in the tree (a /proc a chroot step left behind) is
// neither written through nor retagged.
func TestApplyMountPoints(t *testing.T) {
	requireRoot(t)
	s := newSandbox(t)
	s.mkdir(t, "mnt/data")
	if err := unix.Mount("tmpfs", s.path("mnt/data"), "tmpfs", 0, "size=1m,mode=0755"); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(s.path("mnt/data"), unix.MNT_DETACH) })
	for _, m := range [][]member{
		{reg("mnt/data/x", "x", 0o644)},
		{dirm("mnt/data/", 0o700)},
		{reg("mnt/data", "x", 0o644)},
	} {
		_, err := applyBytes(t, s, tarOf(t, m...), ApplyOptions{})
		if err == nil {
			t.Errorf("%s applied on a mount point", m[0].hdr.Name)
		}
		t.Log(err)
	}
	if ents, _ := os.ReadDir(s.path("mnt/data")); len(ents) != 0 {
		t.Errorf("written into the mount: %v", ents)
	}
	if st := lstat(t, s.path("mnt/data")); st.Mode&0o7777 != 0o755 {
		t.Errorf("mount root mode changed to %o", st.Mode&0o7777)
	}
}

// Debian's absolute links (var/run -> /run …) are followed inside the tree:
// members through them land in the tree, never on the host.
func TestApplyThroughDebianLinks(t *testing.T) {
	requireRoot(t)
	s := newSandbox(t)
	sentinels := treefstest.Plant(t, s.root, treefstest.DebianLinks...)
	data := tarOf(t, reg("var/run/nologin", "no", 0o644), dirm("var/lock/kiln/", 0o700),
		reg("usr/lib/ssl/private/key.pem", "key", 0o600), link("var/run/keep", "/etc/shadow"))
	if _, err := applyBytes(t, s, data, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(sentinels.Inside("var/run"), "nologin"), filepath.Join(sentinels.Inside("var/lock"), "kiln"),
		filepath.Join(sentinels.Inside("usr/lib/ssl/private"), "key.pem")} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("not applied inside the tree: %v", err)
		}
	}
}
