package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

const (
	sumSuffix = ".sha256" // sidecar beside each object: its checksum
	tmpDir    = ".tmp"    // temporary files, on the same filesystem as objects
	staleTmp  = 24 * time.Hour
)

// Local stores objects as files under a directory. Each object has a sidecar
// (KEY.sha256) with its checksum, so Stat and Open never rehash. The sidecar
// also records the object file's inode, size and mtime: a sidecar that does not
// match its file (a crash between the two renames, two concurrent Puts of one
// key) is detected and rebuilt by rehashing, so Info is never wrong.
type Local struct {
	dir string
}

var _ Store = (*Local)(nil)

// NewLocal opens (creating it if needed) a local store rooted at dir and
// removes temporary files older than a day that a crash left behind.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("artifact: %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, tmpDir), 0o700); err != nil {
		return nil, fmt.Errorf("artifact: create %s: %w", abs, err)
	}
	l := &Local{dir: abs}
	l.sweepTemp(time.Now().Add(-staleTmp))
	return l, nil
}

func (l *Local) sweepTemp(before time.Time) {
	ents, err := os.ReadDir(filepath.Join(l.dir, tmpDir))
	if err != nil {
		return
	}
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(before) {
			_ = os.Remove(filepath.Join(l.dir, tmpDir, e.Name())) // best effort: garbage only
		}
	}
}

func (l *Local) path(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(l.dir, filepath.FromSlash(key)), nil
}

// sidecar is the JSON stored in KEY.sha256.
type sidecar struct {
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	Inode   uint64 `json:"inode"`
	MtimeNs int64  `json:"mtime_ns"`
}

func sidecarFor(fi fs.FileInfo, sum string) sidecar {
	sc := sidecar{SHA256: sum, Size: fi.Size(), MtimeNs: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		sc.Inode = st.Ino
	}
	return sc
}

func (sc sidecar) matches(fi fs.FileInfo) bool {
	want := sidecarFor(fi, sc.SHA256)
	return sc == want
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, key string, r io.Reader) (Info, error) {
	dst, err := l.path(key)
	if err != nil {
		return Info{}, err
	}
	f, err := os.CreateTemp(filepath.Join(l.dir, tmpDir), "put-*")
	if err != nil {
		return Info{}, fmt.Errorf("artifact: put %s: %w", key, err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	sw := &sparseWriter{f: f}
	if _, err := io.Copy(io.MultiWriter(sw, h), ctxReader{ctx, r}); err != nil {
		return Info{}, fmt.Errorf("artifact: put %s: %w", key, err)
	}
	if err := sw.finish(); err != nil {
		return Info{}, fmt.Errorf("artifact: put %s: %w", key, err)
	}
	if err := l.commit(ctx, f, dst, hex.EncodeToString(h.Sum(nil))); err != nil {
		return Info{}, fmt.Errorf("artifact: put %s: %w", key, err)
	}
	ok = true
	return l.Stat(ctx, key)
}

// commit makes the written temporary file f the object at dst, with its sidecar.
func (l *Local) commit(ctx context.Context, f *os.File, dst, sum string) error {
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // cancelled before the object became visible
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		return err
	}
	return l.writeSidecar(dst, sidecarFor(fi, sum))
}

func (l *Local) writeSidecar(dst string, sc sidecar) error {
	b, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Join(l.dir, tmpDir), "sum-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), dst+sumSuffix); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// PutFile implements Store.
func (l *Local) PutFile(ctx context.Context, key, path, sum string) (Info, error) {
	dst, err := l.path(key)
	if err != nil {
		return Info{}, err
	}
	src, err := os.Open(path)
	if err != nil {
		return Info{}, fmt.Errorf("artifact: put %s from %s: %w", key, path, err)
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return Info{}, fmt.Errorf("artifact: put %s from %s: %w", key, path, err)
	}
	if !fi.Mode().IsRegular() {
		return Info{}, fmt.Errorf("artifact: put %s from %s: not a regular file", key, path)
	}
	if sameFS(fi, l.dir) {
		if err := l.moveIn(ctx, src, fi, path, dst, sum); err == nil {
			return l.Stat(ctx, key)
		} else if !errors.Is(err, syscall.EXDEV) {
			return Info{}, fmt.Errorf("artifact: put %s from %s: %w", key, path, err)
		}
	}
	// Another filesystem: copy, keeping holes, into a temporary file here.
	f, err := os.CreateTemp(filepath.Join(l.dir, tmpDir), "put-*")
	if err != nil {
		return Info{}, fmt.Errorf("artifact: put %s: %w", key, err)
	}
	got, err := copySparse(ctx, f, src, fi.Size())
	if err == nil && sum != "" && got != sum {
		err = fmt.Errorf("checksum mismatch: the file hashes to %s, its writer said %s", got, sum)
	}
	if err == nil {
		err = l.commit(ctx, f, dst, got)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return Info{}, fmt.Errorf("artifact: put %s from %s: %w", key, path, err)
	}
	if err := os.Remove(path); err != nil {
		return Info{}, fmt.Errorf("artifact: put %s: remove the copied source: %w", key, err)
	}
	return l.Stat(ctx, key)
}

// moveIn renames src to dst, hashing it first unless sum is known; rename keeps
// inode and mtime, so the sidecar written from fi matches the object.
func (l *Local) moveIn(ctx context.Context, src *os.File, fi fs.FileInfo, path, dst, sum string) error {
	if sum == "" {
		h := sha256.New()
		if _, err := io.Copy(h, ctxReader{ctx, src}); err != nil {
			return err
		}
		sum = hex.EncodeToString(h.Sum(nil))
	}
	if err := src.Chmod(0o600); err != nil {
		return err
	}
	if err := src.Sync(); err != nil {
		return err
	}
	if fi2, err := src.Stat(); err != nil || fi2.Size() != fi.Size() || !fi2.ModTime().Equal(fi.ModTime()) {
		return fmt.Errorf("file changed while being stored")
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	if err := os.Rename(path, dst); err != nil {
		return err
	}
	return l.writeSidecar(dst, sidecarFor(fi, sum))
}

func sameFS(fi fs.FileInfo, dir string) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return false
	}
	var dst syscall.Stat_t
	if err := syscall.Stat(dir, &dst); err != nil {
		return false
	}
	return st.Dev == dst.Dev
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	p, err := l.path(key)
	if err != nil {
		return Info{}, err
	}
	f, err := os.Open(p)
	if err != nil {
		return Info{}, notFound(key, err)
	}
	defer f.Close()
	return l.info(ctx, key, p, f)
}

// info reads the sidecar of the open object f, rebuilding it when stale.
func (l *Local) info(ctx context.Context, key, p string, f *os.File) (Info, error) {
	fi, err := f.Stat()
	if err != nil {
		return Info{}, fmt.Errorf("artifact: stat %s: %w", key, err)
	}
	if fi.IsDir() {
		return Info{}, fmt.Errorf("artifact: %s: %w", key, ErrNotFound)
	}
	var sc sidecar
	if b, err := os.ReadFile(p + sumSuffix); err == nil && json.Unmarshal(b, &sc) == nil && sc.matches(fi) {
		return Info{Key: key, Size: fi.Size(), SHA256: sc.SHA256, ModTime: fi.ModTime()}, nil
	}
	// Missing or stale sidecar: hash the object we hold open and record it.
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, io.NewSectionReader(f, 0, fi.Size())}); err != nil {
		return Info{}, fmt.Errorf("artifact: rehash %s: %w", key, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	_ = l.writeSidecar(p, sidecarFor(fi, sum)) // a cache: failing to write it only costs a rehash later
	return Info{Key: key, Size: fi.Size(), SHA256: sum, ModTime: fi.ModTime()}, nil
}

// Open implements Store.
func (l *Local) Open(ctx context.Context, key string) (Object, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, notFound(key, err)
	}
	info, err := l.info(ctx, key, p, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &localObject{File: f, info: info}, nil
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("artifact: delete %s: %w", key, err)
	}
	if err := os.Remove(p + sumSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("artifact: delete %s checksum: %w", key, err)
	}
	return nil
}

func notFound(key string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("artifact: %s: %w", key, ErrNotFound)
	}
	return fmt.Errorf("artifact: open %s: %w", key, err)
}

// localObject is an open object file. Reads go to the file opened at Open, so a
// concurrent Put of the same key does not change what this reader sees.
type localObject struct {
	*os.File
	info Info
}

func (o *localObject) Info() Info { return o.info }

// ctxReader fails reads once ctx is done, so a cancelled Put stops streaming.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
