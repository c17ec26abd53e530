package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func newLocal(t *testing.T) (*Local, string) {
	t.Helper()
	dir := t.TempDir()
	l, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	return l, dir
}

// files lists the regular files under dir (the empty .tmp directory is not one).
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func TestLocalRoundTrip(t *testing.T) {
	ctx := context.Background()
	l, _ := newLocal(t)
	data := []byte(strings.Repeat("kiln image ", 10000))
	info, err := l.Put(ctx, "images/1/disk.qcow2", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(data)) || info.SHA256 != sum(data) || info.Key != "images/1/disk.qcow2" || info.ModTime.IsZero() {
		t.Fatalf("info = %+v", info)
	}
	o, err := l.Open(ctx, "images/1/disk.qcow2")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(o)
	o.Close()
	if !bytes.Equal(got, data) || o.Info() != info {
		t.Fatalf("read back differs: info %+v vs %+v", o.Info(), info)
	}
	if st, err := l.Stat(ctx, "images/1/disk.qcow2"); err != nil || st != info {
		t.Fatalf("stat = %+v, %v", st, err)
	}
	// Replacing an object replaces its checksum with it.
	info2, err := l.Put(ctx, "images/1/disk.qcow2", strings.NewReader("v2"))
	if err != nil || info2.SHA256 != sum([]byte("v2")) || info2.Size != 2 {
		t.Fatalf("replace = %+v, %v", info2, err)
	}
	if err := l.Delete(ctx, "images/1/disk.qcow2"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Stat(ctx, "images/1/disk.qcow2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := l.Open(ctx, "images/1/disk.qcow2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("open after delete: %v", err)
	}
	if err := l.Delete(ctx, "images/1/disk.qcow2"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}

// TestStatDoesNotRehash: Stat answers from the sidecar (a changed sidecar is
// believed while it matches the file), and rebuilds a sidecar that does not.
func TestStatUsesSidecar(t *testing.T) {
	ctx := context.Background()
	l, dir := newLocal(t)
	if _, err := l.Put(ctx, "a/b", strings.NewReader("payload")); err != nil {
		t.Fatal(err)
	}
	side := filepath.Join(dir, "a", "b"+sumSuffix)
	b, _ := os.ReadFile(side)
	fake := strings.Repeat("f", 64)
	os.WriteFile(side, bytes.Replace(b, []byte(sum([]byte("payload"))), []byte(fake), 1), 0o640)
	if st, _ := l.Stat(ctx, "a/b"); st.SHA256 != fake {
		t.Fatalf("Stat rehashed (%s) instead of reading the sidecar", st.SHA256)
	}
	// The object changes behind the store's back (same size, new mtime): stale.
	os.WriteFile(filepath.Join(dir, "a", "b"), []byte("PAYLOAD"), 0o640)
	if st, _ := l.Stat(ctx, "a/b"); st.SHA256 != sum([]byte("PAYLOAD")) {
		t.Fatalf("stale sidecar trusted: %s", st.SHA256)
	}
	os.Remove(side)
	if st, _ := l.Stat(ctx, "a/b"); st.SHA256 != sum([]byte("PAYLOAD")) {
		t.Fatalf("missing sidecar: %s", st.SHA256)
	}
	if _, err := os.Stat(side); err != nil {
		t.Fatalf("sidecar not rebuilt: %v", err)
	}
}

func TestPutFileMovesIn(t *testing.T) {
	ctx := context.Background()
	l, dir := newLocal(t)
	src := filepath.Join(dir, "..", "built.raw") // same filesystem as the store
	os.WriteFile(src, []byte("raw disk"), 0o644)
	var before syscall.Stat_t
	syscall.Stat(src, &before)
	info, err := l.PutFile(ctx, "images/2/disk.raw", src, "")
	if err != nil || info.Size != 8 || info.SHA256 != sum([]byte("raw disk")) {
		t.Fatalf("PutFile = %+v, %v", info, err)
	}
	if _, err := os.Stat(src); !os.IsNotExist(err) {
		t.Fatal("PutFile left the source behind")
	}
	var after syscall.Stat_t
	syscall.Stat(filepath.Join(dir, "images", "2", "disk.raw"), &after)
	if after.Ino != before.Ino {
		t.Fatal("same filesystem, yet the file was copied rather than renamed")
	}
	// A checksum the writer computed is trusted on rename.
	os.WriteFile(src, []byte("other"), 0o644)
	info, err = l.PutFile(ctx, "images/3/disk.raw", src, sum([]byte("other")))
	if err != nil || info.SHA256 != sum([]byte("other")) {
		t.Fatalf("PutFile with sum = %+v, %v", info, err)
	}
}

// TestPutFileCopiesSparse: across filesystems (/dev/shm is tmpfs) the copy keeps
// holes, hashes them as zeros, and verifies a given checksum.
func TestPutFileCopiesSparse(t *testing.T) {
	ctx := context.Background()
	l, dir := newLocal(t)
	shm, err := os.MkdirTemp("/dev/shm", "artifact-test-")
	if err != nil {
		t.Skipf("no tmpfs at /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	var a, b syscall.Stat_t
	syscall.Stat(shm, &a)
	syscall.Stat(dir, &b)
	if a.Dev == b.Dev {
		t.Skip("/dev/shm is on the test directory's filesystem")
	}
	const size = 16 << 20
	src := filepath.Join(shm, "disk.raw")
	f, _ := os.Create(src)
	f.WriteAt([]byte("boot sector"), 0)
	f.WriteAt([]byte("middle data"), 9<<20)
	f.Truncate(size)
	f.Close()
	full := make([]byte, size)
	copy(full, "boot sector")
	copy(full[9<<20:], "middle data")

	// A wrong checksum is refused and leaves nothing, source included.
	if _, err := l.PutFile(ctx, "img/bad", src, strings.Repeat("0", 64)); err == nil {
		t.Fatal("a wrong checksum was accepted")
	}
	if fs := files(t, dir); len(fs) != 0 {
		t.Fatalf("failed copy left %v", fs)
	}
	if _, err := os.Stat(src); err != nil {
		t.Fatalf("failed PutFile removed its source: %v", err)
	}

	info, err := l.PutFile(ctx, "img/disk.raw", src, sum(full))
	if err != nil || info.Size != size || info.SHA256 != sum(full) {
		t.Fatalf("PutFile = %+v, %v", info, err)
	}
	var st syscall.Stat_t
	syscall.Stat(filepath.Join(dir, "img", "disk.raw"), &st)
	if used := st.Blocks * 512; used > 1<<20 {
		t.Fatalf("copy is not sparse: %d bytes allocated for %d bytes of data", used, 22)
	}
	o, _ := l.Open(ctx, "img/disk.raw")
	got, _ := io.ReadAll(o)
	o.Close()
	if !bytes.Equal(got, full) {
		t.Fatal("sparse copy differs from the source")
	}
}

// TestSparsePut: a streamed zero run is stored as a hole.
func TestSparsePut(t *testing.T) {
	l, dir := newLocal(t)
	data := make([]byte, 8<<20)
	copy(data[5<<20:], "x")
	data[len(data)-1] = 'y'
	info, err := l.Put(context.Background(), "s", io.MultiReader(bytes.NewReader(data[:1000]), bytes.NewReader(data[1000:])))
	if err != nil || info.SHA256 != sum(data) {
		t.Fatalf("put = %+v, %v", info, err)
	}
	var st syscall.Stat_t
	syscall.Stat(filepath.Join(dir, "s"), &st)
	if st.Blocks*512 > 1<<20 {
		t.Fatalf("%d bytes allocated for 2 non-zero bytes", st.Blocks*512)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "s"))
	if !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("network reset")
	}
	k := min(len(p), r.n)
	clear(p[:k])
	p[0] = 1
	r.n -= k
	return k, nil
}

func TestFailedPutLeavesNothing(t *testing.T) {
	l, dir := newLocal(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Put(ctx, "images/3/x", strings.NewReader("data")); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled Put: %v", err)
	}
	if _, err := l.Put(context.Background(), "images/3/y", &failingReader{n: 1 << 20}); err == nil {
		t.Fatal("a Put whose reader failed succeeded")
	}
	if fs := files(t, dir); len(fs) > 0 {
		t.Fatalf("files left behind: %v", fs)
	}
	// A failed replacement keeps the old object intact.
	if _, err := l.Put(context.Background(), "k", strings.NewReader("old")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Put(context.Background(), "k", &failingReader{n: 100}); err == nil {
		t.Fatal("failing replacement succeeded")
	}
	if st, err := l.Stat(context.Background(), "k"); err != nil || st.SHA256 != sum([]byte("old")) {
		t.Fatalf("old object damaged: %+v, %v", st, err)
	}
}

func TestHostileKeysRefused(t *testing.T) {
	l, dir := newLocal(t)
	for _, k := range []string{"", "/etc/passwd", "../x", "a/../../x", "..", ".", "a//b", "a/./b", "a/", "/a",
		".hidden", ".tmp/x", "a/b" + sumSuffix, "a\\b", "a b", "a\x00b", "é", "a/b\n", strings.Repeat("a", 513)} {
		if _, err := l.Put(context.Background(), k, strings.NewReader("x")); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Put(%q): %v, want ErrInvalidKey", k, err)
		}
		if _, err := l.Open(context.Background(), k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Open(%q): %v, want ErrInvalidKey", k, err)
		}
		if err := l.Delete(context.Background(), k); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Delete(%q): %v, want ErrInvalidKey", k, err)
		}
	}
	if fs := files(t, dir); len(fs) > 0 {
		t.Fatalf("hostile keys wrote %v", fs)
	}
	for _, k := range []string{"a", "images/12/disk-1.0_x86_64.qcow2", "A.b-c_d/e"} {
		if err := CheckKey(k); err != nil {
			t.Errorf("CheckKey(%q) = %v", k, err)
		}
	}
}

func TestRangeThroughServeContent(t *testing.T) {
	l, _ := newLocal(t)
	if _, err := l.Put(context.Background(), "k", strings.NewReader("0123456789")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ rng, want string }{{"bytes=3-5", "345"}, {"bytes=-2", "89"}, {"bytes=8-", "89"}} {
		o, err := l.Open(context.Background(), "k")
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Range", tc.rng)
		http.ServeContent(rec, req, "k", o.Info().ModTime, o)
		o.Close()
		if rec.Code != http.StatusPartialContent || rec.Body.String() != tc.want {
			t.Fatalf("%s: %d %q, want 206 %q", tc.rng, rec.Code, rec.Body.String(), tc.want)
		}
	}
}

func FuzzCheckKey(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "a/.x", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if CheckKey(key) != nil {
			return
		}
		p := filepath.Join("/store", filepath.FromSlash(key))
		if !strings.HasPrefix(p, "/store/") || filepath.Clean(p) != p {
			t.Fatalf("accepted key %q escapes or is not clean: %s", key, p)
		}
	})
}
