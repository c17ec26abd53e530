// Package artifact stores finished image files behind a small interface. The
// local-directory store is the embedded default; an S3-compatible store for
// multi-node deployments comes later behind the same interface.
package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// ErrNotFound is returned for a key that holds no object.
var ErrNotFound = errors.New("artifact not found")

// Info describes a stored object.
type Info struct {
	Key     string
	Size    int64
	SHA256  string // hex
	ModTime time.Time
}

// Object is a stored object opened for reading, seekable for HTTP Range.
type Object interface {
	io.ReadSeekCloser
	Info() Info
}

// Store is where artifacts live.
type Store interface {
	// Put streams r into key, computing size and SHA-256 on the way; the
	// object appears only when complete (a failed or cancelled Put leaves nothing).
	Put(ctx context.Context, key string, r io.Reader) (Info, error)
	// PutFile moves a finished file in (renaming it when on the same
	// filesystem, copying otherwise). sha256 may be given when already known.
	PutFile(ctx context.Context, key, path, sha256 string) (Info, error)
	Open(ctx context.Context, key string) (Object, error)
	Stat(ctx context.Context, key string) (Info, error)
	Delete(ctx context.Context, key string) error
}

var keyRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$`)

// CheckKey refuses keys that could escape the store: absolute paths, "..",
// empty segments and characters outside a conservative set.
func CheckKey(key string) error {
	if len(key) > 512 || !keyRe.MatchString(key) {
		return fmt.Errorf("artifact key %q is not valid", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "." || seg == ".." || strings.HasSuffix(seg, metaSuffix) {
			return fmt.Errorf("artifact key %q is not valid", key)
		}
	}
	return nil
}
