package rootfs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/spec"
)

func testBuilder(t *testing.T, maxBytes int64) *Builder {
	t.Helper()
	b := &Builder{dir: t.TempDir(), maxBytes: maxBytes, maxAge: DefaultMaxAge, log: slogDiscard(), mode: "root", now: time.Now}
	for _, d := range []string{b.basesDir(), b.debsDir(), b.locksDir(), b.tmpDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// addBase publishes a synthetic base of size bytes last used at used.
func addBase(t *testing.T, b *Builder, key string, size int64, used time.Time) string {
	t.Helper()
	entry := filepath.Join(b.basesDir(), key)
	if err := os.MkdirAll(filepath.Join(entry, "tree/etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(meta{Key: key, Created: time.Now().UTC(), SizeBytes: size})
	if err := os.WriteFile(filepath.Join(entry, metaFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(entry, usedFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(entry, usedFile), used, used); err != nil {
		t.Fatal(err)
	}
	return entry
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestEvictLeastRecentlyUsedFirst(t *testing.T) {
	b := testBuilder(t, 250)
	now := time.Now()
	oldest := addBase(t, b, "a", 100, now.Add(-3*time.Hour))
	middle := addBase(t, b, "b", 100, now.Add(-2*time.Hour))
	newest := addBase(t, b, "c", 100, now.Add(-1*time.Hour))
	if err := b.evict(context.Background()); err != nil {
		t.Fatal(err)
	}
	if exists(oldest) || !exists(middle) || !exists(newest) {
		t.Errorf("after evict: oldest=%v middle=%v newest=%v, want only the oldest gone", exists(oldest), exists(middle), exists(newest))
	}
	if ents, _ := os.ReadDir(b.tmpDir()); len(ents) != 0 {
		t.Errorf("trash left in tmp: %v", ents)
	}
}

func TestEvictSkipsEntryInUse(t *testing.T) {
	b := testBuilder(t, 150)
	now := time.Now()
	inUse := addBase(t, b, "busy", 100, now.Add(-3*time.Hour))
	other := addBase(t, b, "idle", 100, now.Add(-1*time.Hour))
	l, err := lockFile(context.Background(), filepath.Join(b.locksDir(), "base-busy.lock"), true)
	if err != nil {
		t.Fatal(err)
	}
	defer l.unlock()
	if err := b.evict(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !exists(inUse) || exists(other) {
		t.Errorf("inUse=%v other=%v: the locked (oldest) entry must survive, the idle one go", exists(inUse), exists(other))
	}
	// Everything locked: the cap cannot be met, and eviction says so.
	b2 := testBuilder(t, 10)
	addBase(t, b2, "k", 100, now)
	l2, _ := lockFile(context.Background(), filepath.Join(b2.locksDir(), "base-k.lock"), true)
	defer l2.unlock()
	if err := b2.evict(context.Background()); err == nil || !strings.Contains(err.Error(), "over its") {
		t.Errorf("evict with everything in use = %v", err)
	}
}

func TestEvictCountsDebPools(t *testing.T) {
	b := testBuilder(t, 64<<10)
	pool := filepath.Join(b.debsDir(), "debian-bookworm-amd64")
	if err := os.MkdirAll(pool, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pool, "x.deb"), make([]byte, 256<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	b.touchFile(pool + ".used")
	base := addBase(t, b, "fresh", 1, time.Now().Add(time.Hour))
	if err := b.evict(context.Background()); err != nil {
		t.Fatal(err)
	}
	if exists(pool) || exists(pool+".used") || !exists(base) {
		t.Errorf("pool=%v base=%v: the older, oversized pool must go", exists(pool), exists(base))
	}
}

func TestLookupExpiresOldBases(t *testing.T) {
	b := testBuilder(t, 0)
	entry := addBase(t, b, "k", 1, time.Now())
	if _, ok := b.lookup(entry); !ok {
		t.Fatal("fresh base not found")
	}
	b.now = func() time.Time { return time.Now().Add(DefaultMaxAge + time.Hour) }
	if _, ok := b.lookup(entry); ok || exists(entry) {
		t.Errorf("expired base still served (exists=%v)", exists(entry))
	}
	// A corrupt meta.json is a miss, not an error.
	entry = addBase(t, b, "bad", 1, time.Now())
	os.WriteFile(filepath.Join(entry, metaFile), []byte("{"), 0o644)
	if _, ok := b.lookup(entry); ok {
		t.Error("corrupt entry served")
	}
}

func TestLockWaitsAndHonoursContext(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k.lock")
	l, err := lockFile(context.Background(), p, true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := lockFile(ctx, p, true); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second exclusive lock = %v, want deadline exceeded", err)
	}
	if _, ok, _ := tryLockFile(p); ok {
		t.Fatal("tryLock got a held lock")
	}
	done := make(chan error)
	go func() {
		l2, err := lockFile(context.Background(), p, false)
		if err == nil {
			l2.unlock()
		}
		done <- err
	}()
	time.Sleep(150 * time.Millisecond)
	l.unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("waiter not woken after unlock")
	}
}

func TestKey(t *testing.T) {
	base := Request{
		Codename: "bookworm",
		Sources:  []Source{{URI: "http://deb.debian.org/debian", Suite: "bookworm", Components: []string{"main"}}},
		Packages: []spec.Package{{Name: "udev"}, {Name: "openssh-server"}},
	}
	k1, err := Key(base)
	if err != nil {
		t.Fatal(err)
	}
	same := base
	same.Packages = []spec.Package{{Name: "openssh-server"}, {Name: "udev"}}
	same.Distribution, same.Arch, same.Variant = "debian", "amd64", "important" // the defaults
	if k2, _ := Key(same); k2 != k1 {
		t.Errorf("package order or explicit defaults changed the key")
	}
	for name, mod := range map[string]func(*Request){
		"version":  func(r *Request) { r.Packages = []spec.Package{{Name: "udev", Version: "1"}, {Name: "openssh-server"}} },
		"package":  func(r *Request) { r.Packages = append(r.Packages, spec.Package{Name: "vim"}) },
		"codename": func(r *Request) { r.Codename = "trixie" },
		"variant":  func(r *Request) { r.Variant = "minbase" },
		"mirror": func(r *Request) {
			r.Sources = []Source{{URI: "http://mirror.example/debian", Suite: "bookworm", Components: []string{"main"}}}
		},
		"component": func(r *Request) {
			r.Sources = []Source{{URI: "http://deb.debian.org/debian", Suite: "bookworm", Components: []string{"main", "contrib"}}}
		},
	} {
		r := base
		mod(&r)
		if k, _ := Key(r); k == k1 {
			t.Errorf("changing the %s did not change the key", name)
		}
	}
}

func TestRequestValidation(t *testing.T) {
	ok := Request{Codename: "bookworm", Sources: []Source{{URI: "http://deb.debian.org/debian", Suite: "bookworm", Components: []string{"main"}}}}
	for name, mod := range map[string]func(*Request){
		"option as codename": func(r *Request) { r.Codename = "--help" },
		"no sources":         func(r *Request) { r.Sources = nil },
		"ftp source":         func(r *Request) { r.Sources[0].URI = "ftp://x/debian" },
		"space in uri":       func(r *Request) { r.Sources[0].URI = "http://x/ debian" },
		"bad package":        func(r *Request) { r.Packages = []spec.Package{{Name: "-oAPT::x"}} },
		"bad version":        func(r *Request) { r.Packages = []spec.Package{{Name: "vim", Version: "1 2"}} },
		"duplicate package":  func(r *Request) { r.Packages = []spec.Package{{Name: "vim"}, {Name: "vim"}} },
	} {
		r := ok
		r.Sources = append([]Source(nil), ok.Sources...)
		mod(&r)
		if _, err := Key(r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Key(ok); err != nil {
		t.Errorf("valid request rejected: %v", err)
	}
}

func TestAptMonitorFindsMissingPackages(t *testing.T) {
	var phases []string
	m := &aptMonitor{progress: func(_ int, msg string) { phases = append(phases, msg) }}
	// Lines as apt and mmdebstrap print them, split across writes on purpose.
	out := "I: running apt-get update...\nI: downloading packages with apt...\n" +
		"E: Unable to locate package kiln-no-such-package\n" +
		"E: Version '9.9' for 'vim' was not found\n" +
		"E: Package 'ghost' has no installation candidate\n" +
		"E: Unable to locate package kiln-no-such-package\n" +
		"E: apt-get --yes install failed"
	for i := 0; i < len(out); i += 7 {
		m.Write([]byte(out[i:min(i+7, len(out))]))
	}
	got := m.missing()
	want := []string{"kiln-no-such-package", "vim=9.9", "ghost"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("missing = %v, want %v", got, want)
	}
	if strings.Join(phases, ",") != "updating package lists,downloading packages" {
		t.Errorf("phases = %v", phases)
	}
	e := &UnknownPackageError{Packages: got}
	if !strings.Contains(e.Error(), "kiln-no-such-package") {
		t.Errorf("error %q does not name the package", e)
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	if got := unescapeMountinfo(`/tmp/a\040b/dev`); got != "/tmp/a b/dev" {
		t.Errorf("got %q", got)
	}
}

func TestRemoveAllSafeRefusesRoot(t *testing.T) {
	if err := removeAllSafe("/"); err == nil {
		t.Fatal("removeAllSafe(/) accepted")
	}
}

func TestPrepareDst(t *testing.T) {
	d := t.TempDir()
	if err := prepareDst(filepath.Join(d, "new")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d, "new", "f"), nil, 0o644)
	if err := prepareDst(filepath.Join(d, "new")); err == nil {
		t.Fatal("non-empty destination accepted")
	}
}

func TestNewRemovesTempOfDeadProcesses(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("New needs root")
	}
	dir := t.TempDir()
	dead := filepath.Join(dir, "tmp", "base-2147483646-abc") // above pid_max: no such process
	mine := filepath.Join(dir, "tmp", fmt.Sprintf("base-%d-abc", os.Getpid()))
	for _, d := range []string{dead, mine} {
		if err := os.MkdirAll(filepath.Join(d, "tree/etc"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := New(dir, 0, slogDiscard()); err != nil {
		t.Fatal(err)
	}
	if exists(dead) || !exists(mine) {
		t.Errorf("dead=%v mine=%v: only the dead process's temp dir must go", exists(dead), exists(mine))
	}
}
