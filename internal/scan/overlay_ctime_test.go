package scan

import (
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// countOpens records the files the hashing workers open while the test runs.
func countOpens(t *testing.T, root string) func() []string {
	t.Helper()
	var mu sync.Mutex
	var opened []string
	prev := openHashed
	openHashed = func(hostPath string) (*os.File, error) {
		mu.Lock()
		opened = append(opened, hostPath[len(root):])
		mu.Unlock()
		return prev(hostPath)
	}
	t.Cleanup(func() { openHashed = prev })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := slices.Clone(opened)
		slices.Sort(out)
		opened = nil
		return out
	}
}

// tick lets the filesystem's clock move on: inode times come from a coarse
// clock (a few ms), and the fast path compares them strictly.
func tick() { time.Sleep(30 * time.Millisecond) }

// buildInstalledRoot installs packages the way dpkg leaves them (files, then
// the .list written after them), with what dpkg keeps or cannot vouch for
// changed before the install, and what the administrator changed after it.
func buildInstalledRoot(t *testing.T) *testRoot {
	r := newTestRoot(t)
	core := r.pkg("coreutils", "9.1-1", "amd64")
	r.file(core, "/usr/bin/ls", "ls binary")   // untouched: never read
	r.file(core, "/usr/bin/cat", "cat binary") // rewritten after the install
	r.file(core, "/usr/bin/tac", "tac binary") // chmod after the install: read, unchanged
	r.file(core, "/usr/bin/tee", "tee binary") // replaced (rename) after the install

	// A conffile the administrator edited before an upgrade: dpkg kept it and
	// rewrote the .list, so the list is newer than the change.
	base := r.pkg("base-files", "12.4", "amd64")
	base.own("/var/lib")
	r.conffile(base, "/etc/motd", "welcome\n")
	r.write("/etc/motd", "edited before the upgrade\n")

	// dash diverts /usr/bin/sh; bash's sh lives at sh.distrib, changed before
	// the list of either was written: a diverted path is always read.
	dash := r.pkg("dash", "0.5.12-2", "amd64")
	r.file(dash, "/usr/bin/sh", "dash shell")
	bash := r.pkg("bash", "5.2.15-2", "amd64")
	bash.own("/usr/bin/sh")
	bash.md5sums = append(bash.md5sums, md5hex("bash shell")+"  usr/bin/sh")
	r.write("/usr/bin/sh.distrib", "bash shell, edited")
	r.write("/var/lib/dpkg/diversions", "/usr/bin/sh\n/usr/bin/sh.distrib\ndash\n")

	// Two package instances list the same file: the list that dates it may
	// not be the one whose file is there. Always read.
	libA := r.pkg("libfoo1", "2.0-1", "amd64")
	libA.multiArch = "same"
	r.file(libA, "/usr/share/doc/libfoo1/copyright", "(c) foo")
	libB := r.pkg("libfoo1", "2.0-1", "i386")
	libB.multiArch = "same"
	r.file(libB, "/usr/share/doc/libfoo1/copyright", "(c) foo")
	r.write("/usr/share/doc/libfoo1/copyright", "(c) foo, edited")

	tick()
	r.install()
	tick()

	r.write("/usr/bin/cat", "trojan cat") // in place: same inode, new ctime
	if err := os.Chmod(r.host("/usr/bin/tac"), 0o700); err != nil {
		t.Fatal(err)
	}
	// A new inode renamed over the package file: written with its old
	// content's mtime restored, which does not fool the ctime.
	tmp := r.host("/usr/bin/.tee.tmp")
	if err := os.WriteFile(tmp, []byte("evil tee"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(tmp, installedLongAgo, installedLongAgo); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, r.host("/usr/bin/tee")); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestOverlayUntouchedPackageFilesAreNotRead(t *testing.T) {
	r := buildInstalledRoot(t)
	opened := countOpens(t, r.dir)
	got, st := collect(t, r.dir, OverlayOptions{Workers: 2, NoSHA256: true})

	want := []string{
		"modified file /etc/motd (base-files)",
		"modified file /usr/bin/cat (coreutils)",
		"modified file /usr/bin/sh.distrib (bash)",
		"modified file /usr/bin/tee (coreutils)",
		"modified file /usr/share/doc/libfoo1/copyright (libfoo1)",
	}
	if diff := cmp.Diff(want, summary(got)); diff != "" {
		t.Errorf("overlay (-want +got):\n%s", diff)
	}
	wantOpened := []string{
		"/etc/motd",                        // conffile
		"/usr/bin/cat",                     // written since
		"/usr/bin/sh",                      // diverted
		"/usr/bin/sh.distrib",              // diverted
		"/usr/bin/tac",                     // chmod since
		"/usr/bin/tee",                     // replaced since
		"/usr/share/doc/libfoo1/copyright", // listed twice
	}
	if diff := cmp.Diff(wantOpened, opened()); diff != "" {
		t.Errorf("files read (-want +got):\n%s", diff)
	}
	if st.Untouched != 1 { // /usr/bin/ls
		t.Errorf("untouched %d, want 1", st.Untouched)
	}

	// VerifyAll reads ls too, and finds the same.
	got, st = collect(t, r.dir, OverlayOptions{Workers: 2, NoSHA256: true, VerifyAll: true})
	if diff := cmp.Diff(want, summary(got)); diff != "" {
		t.Errorf("VerifyAll: overlay (-want +got):\n%s", diff)
	}
	if o := opened(); !slices.Contains(o, "/usr/bin/ls") || st.Untouched != 0 {
		t.Errorf("VerifyAll: read %q, untouched %d", o, st.Untouched)
	}
}

// TestOverlayRestoredTreeIsReadWhole: a copy or restore keeps the lists'
// mtimes but gives every file a new ctime, after them: everything is read,
// and a package file changed before the copy is found.
func TestOverlayRestoredTreeIsReadWhole(t *testing.T) {
	r := newTestRoot(t)
	core := r.pkg("coreutils", "9.1-1", "amd64")
	r.file(core, "/usr/bin/ls", "ls binary")
	r.file(core, "/usr/bin/cat", "cat binary")
	core.own("/var/lib")
	tick()
	r.install()
	tick()
	r.write("/usr/bin/cat", "trojan cat")
	// The restore: every file new (ctime now), the lists' mtimes as they were
	// when dpkg wrote them, long ago.
	for _, l := range r.lists() {
		if err := os.Chtimes(l, installedLongAgo, installedLongAgo); err != nil {
			t.Fatal(err)
		}
	}
	opened := countOpens(t, r.dir)
	got, st := collect(t, r.dir, OverlayOptions{NoSHA256: true})
	if diff := cmp.Diff([]string{"modified file /usr/bin/cat (coreutils)"}, summary(got)); diff != "" {
		t.Errorf("overlay (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"/usr/bin/cat", "/usr/bin/ls"}, opened()); diff != "" || st.Untouched != 0 {
		t.Errorf("untouched %d; files read (-want +got):\n%s", st.Untouched, diff)
	}
}

func TestListTime(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/x.list"
	if err := os.WriteFile(p, []byte("/.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, _ := f.Stat()
	now := time.Now().UnixNano()
	if got := listTime(f, now); got <= 0 || got != info.ModTime().UnixNano() {
		t.Errorf("listTime = %d, mtime %d", got, info.ModTime().UnixNano())
	}
	// The clock went back since the list was written: no install time.
	if got := listTime(f, now-int64(time.Hour)); got != 0 {
		t.Errorf("list from the future: listTime = %d, want 0", got)
	}
	// An mtime moved forward (touch -d) does not move the install time past
	// the ctime; moved back (a restore), it is the earlier one.
	future := time.Now().Add(time.Hour)
	os.Chtimes(p, future, future)
	if got := listTime(f, future.UnixNano()+1); got <= 0 || got >= future.UnixNano() {
		t.Errorf("mtime in the future: listTime = %d", got)
	}
	os.Chtimes(p, installedLongAgo, installedLongAgo)
	if got := listTime(f, now+int64(time.Hour)); got != installedLongAgo.UnixNano() {
		t.Errorf("mtime dated back: listTime = %d, want %d", got, installedLongAgo.UnixNano())
	}
}

func TestUntouchedSince(t *testing.T) {
	const at = int64(1_000_000_000)
	o := owner{pkg: "p", hasMD5: true, installed: at}
	for _, c := range []struct {
		name  string
		o     owner
		ctime int64
		want  bool
	}{
		{"before the install", o, at - 1, true},
		{"same tick as the install", o, at, false},
		{"after the install", o, at + 1, false},
		{"no install time", owner{pkg: "p", hasMD5: true}, 1, false},
		{"conffile", owner{pkg: "p", hasMD5: true, installed: at, conffile: true}, at - 1, false},
		{"diverted", owner{pkg: "p", hasMD5: true, installed: at, diverted: true}, at - 1, false},
		{"shared", owner{pkg: "p", hasMD5: true, installed: at, shared: true}, at - 1, false},
	} {
		if got := c.o.untouchedSince(c.ctime); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
