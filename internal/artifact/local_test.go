package artifact

import (
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
	"testing"
)

func TestLocalRoundTrip(t *testing.T) {
	ctx := context.Background()
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := strings.Repeat("kiln image ", 10000)
	info, err := l.Put(ctx, "images/1/disk.qcow2", strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(data))
	if info.Size != int64(len(data)) || info.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("info = %+v", info)
	}
	o, err := l.Open(ctx, "images/1/disk.qcow2")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(o)
	o.Close()
	if string(got) != data || o.Info().SHA256 != info.SHA256 {
		t.Fatal("read back differs")
	}
	// PutFile moves a file in, trusting a given checksum.
	src := filepath.Join(t.TempDir(), "built.raw")
	os.WriteFile(src, []byte("raw disk"), 0o644)
	rawSum := sha256.Sum256([]byte("raw disk"))
	info, err = l.PutFile(ctx, "images/2/disk.raw", src, hex.EncodeToString(rawSum[:]))
	if err != nil || info.Size != 8 {
		t.Fatalf("PutFile = %+v, %v", info, err)
	}
	if _, err := os.Stat(src); !os.IsNotExist(err) {
		t.Fatal("PutFile left the source behind")
	}
	if err := l.Delete(ctx, "images/2/disk.raw"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Stat(ctx, "images/2/disk.raw"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	if err := l.Delete(ctx, "images/2/disk.raw"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}

func TestLocalCancelledPutLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	l, _ := NewLocal(dir)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Put(ctx, "images/3/x", strings.NewReader("data")); err == nil {
		t.Fatal("a cancelled Put succeeded")
	}
	var files []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, _ error) error {
		if fi != nil && !fi.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) > 0 {
		t.Fatalf("files left behind: %v", files)
	}
}

func TestHostileKeysRefused(t *testing.T) {
	l, _ := NewLocal(t.TempDir())
	for _, k := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", ".hidden", "a/b" + metaSuffix, "a\\b", "a b"} {
		if _, err := l.Put(context.Background(), k, strings.NewReader("x")); err == nil {
			t.Errorf("key %q accepted", k)
		}
	}
}

func TestRangeThroughServeContent(t *testing.T) {
	l, _ := NewLocal(t.TempDir())
	l.Put(context.Background(), "k", strings.NewReader("0123456789"))
	o, err := l.Open(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Range", "bytes=3-5")
	http.ServeContent(rec, req, "k", o.Info().ModTime, o)
	if rec.Code != http.StatusPartialContent || rec.Body.String() != "345" {
		t.Fatalf("range: %d %q", rec.Code, rec.Body.String())
	}
}
