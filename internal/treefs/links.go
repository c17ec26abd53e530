package treefs

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrThroughLink is wrapped by the LinkError of CheckNoLinks.
var ErrThroughLink = errors.New("goes through a symlink")

// LinkError says a path goes through a symlink of the tree.
type LinkError struct {
	Path string // the path checked
	Link string // the symlink among its components
}

func (e *LinkError) Error() string {
	if e.Path == e.Link {
		return e.Path + " is a symlink"
	}
	return e.Path + " goes through the link " + e.Link
}

func (e *LinkError) Unwrap() error { return ErrThroughLink }

// CheckNoLinks refuses a path that a tenant named (a home, a mount point) and
// that reaches through a symlink of the tree, p itself included: a home of
// /var/run/lock/kiln would be confined to the tree, but would land in its
// /run/lock, not where the tenant asked. Components that do not exist yet
// are fine (they will be created as directories); so is a component that is
// not a directory (what then uses p fails on it). A path that is not clean
// ("..", "//") is refused: it could mean one thing as text and another in
// the tree. The error
// is a *LinkError, or wraps ErrConflict for a directory on another
// filesystem.
func (r *Root) CheckNoLinks(p string) error {
	if !strings.HasPrefix(p, "/") || path.Clean(p) != p {
		return fmt.Errorf("%s is not a clean absolute path: %w", p, unix.EINVAL)
	}
	if p == "/" {
		return nil
	}
	cur := r.fd
	defer func() {
		if cur != r.fd {
			unix.Close(cur)
		}
	}()
	at := ""
	for c := range strings.SplitSeq(p[1:], "/") {
		at += "/" + c
		var st unix.Stat_t
		err := unix.Fstatat(cur, c, &st, unix.AT_SYMLINK_NOFOLLOW)
		switch {
		case errors.Is(err, unix.ENOENT):
			return nil
		case err != nil:
			return fmt.Errorf("stat %s: %w", at, err)
		case st.Mode&unix.S_IFMT == unix.S_IFLNK:
			return &LinkError{Path: p, Link: at}
		case st.Mode&unix.S_IFMT != unix.S_IFDIR:
			return nil
		case st.Dev != r.dev:
			return fmt.Errorf("%s goes through %s, a mount point: %w: %w", p, at, ErrConflict, unix.EXDEV)
		}
		fd, err := unix.Openat(cur, c, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("open %s: %w", at, err)
		}
		if cur != r.fd {
			unix.Close(cur)
		}
		cur = fd
	}
	return nil
}
