package scan

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/record"
)

// TestOverlayOddEntries scans a tree with the entries that break naive scanners:
// a symlink loop, links out of the root, a dangling link, a FIFO (opening it for
// reading would block forever), a socket, and names with a newline and invalid
// UTF-8. Nothing may hang, panic, or be followed.
func TestOverlayOddEntries(t *testing.T) {
	r := buildDebianRoot(t)
	outside := filepath.Join(filepath.Dir(r.dir), "outside-"+filepath.Base(r.dir))
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	r.write("/opt/odd/placeholder", "")
	r.symlink("loop2", "/opt/odd/loop1")
	r.symlink("loop1", "/opt/odd/loop2")
	r.symlink(outside, "/opt/odd/escape-abs")
	r.symlink("../../../../../../../../"+outside, "/opt/odd/escape-rel")
	r.symlink("/nonexistent/target", "/opt/odd/dangling")
	if err := syscall.Mkfifo(r.host("/opt/odd/fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := bindSocket(t, r.host("/opt/odd"), "sock")
	defer sock.Close()
	weird := "/opt/odd/new\nline\xff\xfe"
	r.write(weird, "weird name")
	// Content outside the root that a followed link would reveal.
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("host secret"), 0o644); err != nil {
		t.Fatal(err)
	}

	var skipped []string
	done := make(chan struct{})
	var got []Entry
	var st record.OverlayStats
	go func() {
		defer close(done)
		got, st = collect(t, r.dir, OverlayOptions{OnSkip: func(p string, err error) {
			skipped = append(skipped, p+": "+err.Error())
		}})
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Overlay hangs (a FIFO opened for reading?)")
	}

	byPath := map[string]Entry{}
	for _, e := range got {
		byPath[e.Path] = e
		if strings.Contains(e.Path, "outside-") || strings.HasPrefix(e.Path, outside) {
			t.Errorf("entry from outside the root: %q", e.Path)
		}
	}
	for p, target := range map[string]string{
		"/opt/odd/loop1":      "loop2",
		"/opt/odd/loop2":      "loop1",
		"/opt/odd/escape-abs": outside,
		"/opt/odd/escape-rel": "../../../../../../../../" + outside,
		"/opt/odd/dangling":   "/nonexistent/target",
	} {
		if e := byPath[p]; e.Kind != KindSymlink || e.LinkTarget != target {
			t.Errorf("%s: %+v, want a symlink to %s", p, e, target)
		}
	}
	if e := byPath["/opt/odd/fifo"]; e.Kind != KindFIFO || e.SHA256 != "" {
		t.Errorf("fifo: %+v", e)
	}
	if e := byPath[weird]; e.Kind != KindFile || e.SHA256 != sha256hex("weird name") {
		t.Errorf("weird name: %+v", e)
	}
	if _, ok := byPath["/opt/odd/sock"]; ok || st.Skipped != 1 || len(skipped) != 1 || !strings.Contains(skipped[0], "/opt/odd/sock: not archived") {
		t.Errorf("socket: skipped=%d %q, want it skipped and reported", st.Skipped, skipped)
	}
}

// bindSocket creates a unix socket at dir/name. Socket paths are limited to ~108
// bytes, so it is bound in a short directory and renamed into place.
func bindSocket(t *testing.T, dir, name string) net.Listener {
	t.Helper()
	short, err := os.MkdirTemp("", "ks")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(short) })
	l, err := net.Listen("unix", filepath.Join(short, "s"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(short, "s"), filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
	return l
}

// TestConfigLinksStayInsideRoot: configuration files read through links resolve
// against the scanned root, never the host: an offline scan of a hostile image
// must not read the host's files.
func TestConfigLinksStayInsideRoot(t *testing.T) {
	r := buildDebianRoot(t)
	secretDir := filepath.Join(filepath.Dir(r.dir), "host-"+filepath.Base(r.dir))
	if err := os.MkdirAll(secretDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(secretDir, "hostname"), []byte("leaked\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(filepath.Join(r.dir, "etc"), filepath.Join(secretDir, "hostname"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"/etc/hostname", "/etc/timezone"} {
		if err := os.Remove(r.host(f)); err != nil {
			t.Fatal(err)
		}
	}
	r.symlink(rel, "/etc/hostname")                                  // ../../host-x/hostname: ".." stops at the root
	r.symlink(filepath.Join(secretDir, "hostname"), "/etc/timezone") // absolute: relative to the root
	r.symlink("shadow-loop", "/etc/shadow-loop")
	if err := os.Remove(r.host("/etc/shadow")); err != nil {
		t.Fatal(err)
	}
	r.symlink("shadow-loop", "/etc/shadow")
	// localtime must not be needed for the timezone test
	if err := os.Remove(r.host("/etc/localtime")); err != nil {
		t.Fatal(err)
	}

	got := inventory(t, r.dir)
	if got.Profile.Hostname != "" || got.Profile.Timezone != "" {
		t.Errorf("hostname %q, timezone %q: read through a link out of the root", got.Profile.Hostname, got.Profile.Timezone)
	}
	if got.Profile.RootPasswordHash != "" {
		t.Errorf("root hash %q from a looping shadow", got.Profile.RootPasswordHash)
	}
	if w := strings.Join(got.Warnings, "\n"); !strings.Contains(w, "/etc/shadow unreadable") || !strings.Contains(w, "symbolic links") {
		t.Errorf("warnings do not report the shadow loop:\n%s", w)
	}
}

func TestResolveInsideTree(t *testing.T) {
	r := newTestRoot(t)
	r.mkdir("/usr/lib")
	r.symlink("usr/lib", "/lib")
	r.symlink("/lib/../..", "/up")
	r.symlink("../../../..", "/usr/lib/up")
	tr, err := newTree(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"/lib/x":          "/usr/lib/x",
		"/lib":            "/usr/lib",
		"/up/etc/passwd":  "/etc/passwd",
		"/usr/lib/up/etc": "/etc",
		"/../../etc":      "/etc",
		"/a/./b/../c":     "/a/c",
	} {
		got, err := tr.resolve(in, true)
		if err != nil || got != want {
			t.Errorf("resolve(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, _ := tr.resolve("/lib", false); got != "/lib" {
		t.Errorf("resolve(/lib, keep last) = %q", got)
	}
}
