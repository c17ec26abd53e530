// Package artifact stores generated images and other build outputs behind a
// small interface. Local is the implementation for one machine (a directory);
// an S3-compatible implementation (minio-go) comes later for multi-node setups,
// behind the same interface.
package artifact

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned (wrapped) when a key has no object.
var ErrNotFound = errors.New("artifact not found")

// ErrInvalidKey is returned (wrapped) for a key that is not allowed.
var ErrInvalidKey = errors.New("invalid artifact key")

// Info describes a stored object.
type Info struct {
	Key     string
	Size    int64
	SHA256  string // lowercase hex
	ModTime time.Time
}

// Object is an open stored object: seekable, so that http.ServeContent can
// answer Range requests from it.
type Object interface {
	io.ReadSeekCloser
	Info() Info
}

// Store keeps objects by key. Keys are slash-separated relative paths of
// [A-Za-z0-9._-] segments, no segment "." or "..", at most 512 bytes
// (CheckKey). Writes are atomic: readers see the old object or the whole
// new one, never a part.
type Store interface {
	// Put streams r into key, computing size and SHA-256 on the way. When r
	// fails or ctx is cancelled, nothing is left behind.
	Put(ctx context.Context, key string, r io.Reader) (Info, error)
	// PutFile stores the finished file at path under key and consumes it: it is
	// renamed in when on the same filesystem, else copied (holes preserved) and
	// removed. sha256, when not "", is the file's checksum as its writer computed
	// it: a rename then trusts it instead of rereading the file, and a copy
	// verifies it.
	PutFile(ctx context.Context, key, path, sha256 string) (Info, error)
	Open(ctx context.Context, key string) (Object, error)
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}
