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
)

// metaSuffix names the file beside each object that records its checksum, so
// Stat and Open never rehash a multi-gigabyte image.
const metaSuffix = ".kiln-meta"

// Local stores objects as files under a directory.
type Local struct {
	dir string
}

// NewLocal returns a store rooted at dir (created if missing).
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("artifact store: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &Local{dir: abs}, nil
}

func (l *Local) path(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(l.dir, filepath.FromSlash(key)), nil
}

type meta struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, key string, r io.Reader) (Info, error) {
	p, err := l.path(key)
	if err != nil {
		return Info{}, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return Info{}, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return Info{}, err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), ctxReader{ctx, r})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Info{}, fmt.Errorf("store artifact %s: %w", key, err)
	}
	return l.commit(key, p, tmp.Name(), meta{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
}

// PutFile implements Store.
func (l *Local) PutFile(ctx context.Context, key, path, sum string) (Info, error) {
	p, err := l.path(key)
	if err != nil {
		return Info{}, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return Info{}, err
	}
	if sum == "" {
		if sum, err = fileSHA256(ctx, path); err != nil {
			return Info{}, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return Info{}, err
	}
	m := meta{Size: st.Size(), SHA256: sum}
	err = os.Rename(path, p+".incoming")
	if errors.Is(err, syscall.EXDEV) {
		f, oerr := os.Open(path)
		if oerr != nil {
			return Info{}, oerr
		}
		defer f.Close()
		info, perr := l.Put(ctx, key, f)
		if perr == nil && info.SHA256 != sum {
			_ = l.Delete(ctx, key)
			return Info{}, fmt.Errorf("store artifact %s: checksum changed while copying", key)
		}
		if perr == nil {
			_ = os.Remove(path)
		}
		return info, perr
	}
	if err != nil {
		return Info{}, fmt.Errorf("store artifact %s: %w", key, err)
	}
	return l.commit(key, p, p+".incoming", m)
}

// commit writes the checksum record, then renames the data into place.
func (l *Local) commit(key, p, tmp string, m meta) (Info, error) {
	b, _ := json.Marshal(m)
	if err := os.WriteFile(p+metaSuffix, b, 0o640); err != nil {
		os.Remove(tmp)
		return Info{}, err
	}
	if err := os.Rename(tmp, p); err != nil {
		os.Remove(tmp)
		os.Remove(p + metaSuffix)
		return Info{}, fmt.Errorf("store artifact %s: %w", key, err)
	}
	return l.Stat(context.Background(), key)
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, key string) (Info, error) {
	p, err := l.path(key)
	if err != nil {
		return Info{}, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	if err != nil {
		return Info{}, err
	}
	var m meta
	b, err := os.ReadFile(p + metaSuffix)
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil || m.Size != st.Size() {
		// The record is missing or stale (a file put there by hand): rehash.
		if m.SHA256, err = fileSHA256(ctx, p); err != nil {
			return Info{}, err
		}
	}
	return Info{Key: key, Size: st.Size(), SHA256: m.SHA256, ModTime: st.ModTime().UTC()}, nil
}

// Open implements Store.
func (l *Local) Open(ctx context.Context, key string) (Object, error) {
	info, err := l.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	p, _ := l.path(key)
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	return &localObject{File: f, info: info}, nil
}

// Delete implements Store; deleting a missing key is not an error.
func (l *Local) Delete(ctx context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	for _, f := range []string{p, p + metaSuffix} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	// Remove now-empty parent directories up to the root.
	for dir := filepath.Dir(p); dir != l.dir && len(dir) > len(l.dir); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break
		}
	}
	return nil
}

type localObject struct {
	*os.File
	info Info
}

func (o *localObject) Info() Info { return o.info }

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

func fileSHA256(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
