package overlay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// capNetRaw is a version 2 security.capability value: cap_net_raw=ep.
const capNetRaw = "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// normalMembers is a scanned machine's overlay: owners by name, a setuid
// file with a capability, user attributes, an absolute symlink, a hard link,
// a pipe, paths through merged /usr, and an account file the build owns.
func normalMembers() []member {
	return []member{
		dirm("./", 0o755),
		dirm("etc/", 0o755),
		reg("etc/hosts", "127.0.0.1 localhost\n", 0o644),
		reg("etc/motd", "scanned motd\n", 0o644),
		reg("etc/passwd", "evil:x:0:0::/:/bin/sh\n", 0o644),
		link("etc/alternatives/editor", "/usr/bin/vim.basic"),
		owned(dirm("var/lib/postgresql/", 0o700), 105, 109, "postgres", "postgres"),
		withPAX(owned(reg("var/lib/postgresql/PG_VERSION", "15\n", 0o600), 105, 109, "postgres", "postgres"),
			"SCHILY.xattr.user.kiln", "yes", "SCHILY.xattr.trusted.overlay.origin", "x", "SCHILY.xattr.security.selinux", "system_u"),
		dirm("usr/local/bin/", 0o755),
		withPAX(reg("usr/local/bin/tool", "#!/bin/sh\necho tool\n", 0o4755), "SCHILY.xattr.security.capability", capNetRaw),
		hard("usr/local/bin/tool2", "usr/local/bin/tool"),
		reg("bin/kiln-agent", "agent", 0o755),
		dirm("lib/", 0o755),
		reg("lib/kiln/plugin.so", "\x7fELF", 0o644),
		fifom("var/spool/postfix/public/pickup", 0o622),
	}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestCheckNormal(t *testing.T) {
	data := tarOf(t, normalMembers()...)
	var got []Entry
	sum, err := Check(context.Background(), bytes.NewReader(data), Limits{}, func(e Entry) error {
		got = append(got, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{
		Entries: 15, Files: 7, Dirs: 5, Symlinks: 1, Hardlinks: 1, FIFOs: 1,
		Bytes:    int64(len("127.0.0.1 localhost\n" + "scanned motd\n" + "evil:x:0:0::/:/bin/sh\n" + "15\n" + "#!/bin/sh\necho tool\n" + "agent" + "\x7fELF")),
		TarBytes: int64(len(data)), StreamBytes: int64(len(data)), SHA256: sha(string(data)),
	}
	if diff := cmp.Diff(want, sum); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	byPath := map[string]Entry{}
	var order []string
	for _, e := range got {
		byPath[e.Path] = e
		order = append(order, e.Path)
	}
	wantOrder := []string{"/", "/etc", "/etc/hosts", "/etc/motd", "/etc/passwd", "/etc/alternatives/editor",
		"/var/lib/postgresql", "/var/lib/postgresql/PG_VERSION", "/usr/local/bin", "/usr/local/bin/tool",
		"/usr/local/bin/tool2", "/bin/kiln-agent", "/lib", "/lib/kiln/plugin.so", "/var/spool/postfix/public/pickup"}
	if diff := cmp.Diff(wantOrder, order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	wantEntries := []Entry{
		{Path: "/var/lib/postgresql/PG_VERSION", Kind: KindFile, Mode: 0o600, UID: 105, GID: 109, Uname: "postgres", Gname: "postgres",
			Size: 3, ModTime: mtime, SHA256: sha("15\n"), Xattrs: map[string][]byte{"user.kiln": []byte("yes")}},
		{Path: "/usr/local/bin/tool", Kind: KindFile, Mode: 0o4755, Size: 20, ModTime: mtime, SHA256: sha("#!/bin/sh\necho tool\n"),
			Xattrs: map[string][]byte{"security.capability": []byte(capNetRaw)}},
		{Path: "/usr/local/bin/tool2", Kind: KindHardlink, Mode: 0o644, ModTime: mtime, LinkTarget: "/usr/local/bin/tool"},
		{Path: "/etc/alternatives/editor", Kind: KindSymlink, Mode: 0o777, ModTime: mtime, LinkTarget: "/usr/bin/vim.basic"},
		{Path: "/var/lib/postgresql", Kind: KindDir, Mode: 0o700, UID: 105, GID: 109, Uname: "postgres", Gname: "postgres", ModTime: mtime},
		{Path: "/var/spool/postfix/public/pickup", Kind: KindFIFO, Mode: 0o622, ModTime: mtime},
		{Path: "/", Kind: KindDir, Mode: 0o755, ModTime: mtime},
	}
	for _, w := range wantEntries {
		if diff := cmp.Diff(w, byPath[w.Path]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", w.Path, diff)
		}
	}
}

func TestCheckGzip(t *testing.T) {
	data := tarOf(t, normalMembers()...)
	gz := gzipOf(t, data)
	plain, err := Check(context.Background(), bytes.NewReader(data), Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Check(context.Background(), bytes.NewReader(gz), Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := plain
	want.Gzip, want.StreamBytes, want.SHA256 = true, int64(len(gz)), sha(string(gz))
	if diff := cmp.Diff(want, sum); diff != "" {
		t.Errorf("gzip summary (-want +got):\n%s", diff)
	}
}

// The digest covers the whole stream, GNU tar's record padding included, so
// that it matches the stored object's.
func TestCheckPadding(t *testing.T) {
	data := tarOf(t, reg("a", "x", 0o644))
	data = append(data, make([]byte, 10240-len(data)%10240)...)
	sum, err := Check(context.Background(), bytes.NewReader(data), Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.StreamBytes != int64(len(data)) || sum.SHA256 != sha(string(data)) {
		t.Errorf("summary covers %d bytes (%s), want %d", sum.StreamBytes, sum.SHA256, len(data))
	}
}

func TestCheckCallbackError(t *testing.T) {
	stop := errors.New("stop")
	_, err := Check(context.Background(), bytes.NewReader(tarOf(t, normalMembers()...)), Limits{}, func(e Entry) error {
		if e.Path == "/etc/motd" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || errors.Is(err, ErrRejected) || !bytes.Contains([]byte(err.Error()), []byte("/etc/motd")) {
		t.Errorf("err = %v, want stop naming /etc/motd", err)
	}
}

// A failing source or a cancelled context is not the archive's fault.
func TestCheckSourceErrors(t *testing.T) {
	data := tarOf(t, reg("a", "some content", 0o644), reg("b", "more", 0o644))
	broken := errors.New("connection reset")
	_, err := Check(context.Background(), io.MultiReader(bytes.NewReader(data[:700]), errReader{broken}), Limits{}, nil)
	if !errors.Is(err, broken) || errors.Is(err, ErrRejected) {
		t.Errorf("source error: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Check(ctx, bytes.NewReader(data), Limits{}, nil)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrRejected) {
		t.Errorf("cancelled: %v", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestCleanName(t *testing.T) {
	for name, want := range map[string]string{
		"etc/hosts": "/etc/hosts", "./etc/hosts": "/etc/hosts", "etc//x/./y": "/etc/x/y", "a\\b": "/a\\b",
		"etc/": "/etc", "./": "/", ".": "/",
	} {
		got, err := cleanName(name, true)
		if err != nil || got != want {
			t.Errorf("cleanName(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, name := range []string{"", "/etc", "../x", "a/../b", "a/..", "x\x00y", ".//", "./.", string(bytes.Repeat([]byte("a"), 256))} {
		if got, err := cleanName(name, true); err == nil {
			t.Errorf("cleanName(%q) = %q, want an error", name, got)
		}
	}
	if _, err := cleanName("etc/x/", false); err == nil {
		t.Error("trailing slash on a file accepted")
	}
	if _, err := cleanName(".", false); err == nil {
		t.Error("root as a file accepted")
	}
}

func TestDefaultSkip(t *testing.T) {
	for p, want := range map[string]bool{
		"/etc/passwd": true, "/etc/passwd-": true, "/etc/shadow": true, "/etc/gshadow-": true,
		"/boot": true, "/boot/grub/grub.cfg": true, "/lib/modules/6.1.0/extra/x.ko": true, "/usr/lib/modules": true,
		"/var/lib/dpkg/status": true, "/var/lib/apt/lists/x": true, "/var/cache/apt/archives/a.deb": true,
		"/etc/fstab": true, "/etc/machine-id": true, "/var/lib/dbus/machine-id": true, "/etc/resolv.conf": true,
		"/etc/udev/rules.d/70-persistent-net.rules": true, "/proc/1": true, "/tmp": true, "/run/x": true,
		"/etc/hostname": false, "/etc/passwdx": false, "/bootx": false, "/etc/hosts": false, "/var/lib/dpkgx": false,
		"/etc/udev/rules.d/99-local.rules": false, "/var/lib/postgresql": false, "/": false,
	} {
		if got := DefaultSkip(p); got != want {
			t.Errorf("DefaultSkip(%q) = %v, want %v", p, got, want)
		}
	}
}
