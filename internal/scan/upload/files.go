package upload

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// scannedRoot opens the files of the scanned tree for archiving. The walk never
// follows a symlink, so a path it reported has none; one that appears since (a
// live system changing, or someone racing the agent) must not make the agent
// archive a file from elsewhere, on the scanned system or the host. openat2
// with RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH says exactly that; kernels older
// than 5.6 get O_NOFOLLOW on the last component only.
type scannedRoot struct {
	dir     string
	fd      int  // O_PATH descriptor of dir, -1 when closed
	openat2 bool // the kernel has openat2
}

func openScannedRoot(dir string) (*scannedRoot, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("scan root %q: %w", dir, err)
	}
	if abs, err = filepath.EvalSymlinks(abs); err != nil { // the root itself may be a link
		return nil, fmt.Errorf("scan root: %w", err)
	}
	fd, err := unix.Open(abs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("scan root %s: %w", abs, err)
	}
	return &scannedRoot{dir: abs, fd: fd, openat2: true}, nil
}

func (r *scannedRoot) Close() error {
	if r.fd < 0 {
		return nil
	}
	err := unix.Close(r.fd)
	r.fd = -1
	return err
}

// host is the host path of p (absolute inside the scanned system).
func (r *scannedRoot) host(p string) string {
	return filepath.Join(r.dir, filepath.FromSlash(p))
}

// rawFile is a file open for reading by its bare descriptor. The archiver
// opens every file it archives once, reads it whole and closes it: an
// *os.File would cost two more system calls per file (fcntl, and epoll_ctl to
// try the poller, which refuses regular files), a finalizer and its
// allocations, for nothing.
type rawFile struct {
	fd   int
	path string // in the scanned system, for errors
}

// Close closes the descriptor.
func (f *rawFile) Close() error {
	if f.fd < 0 {
		return nil
	}
	err := unix.Close(f.fd)
	f.fd = -1
	return err
}

// Read reads from the file, retrying on EINTR; 0 bytes and io.EOF at the end.
func (f *rawFile) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(f.fd, p)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return 0, &os.PathError{Op: "read", Path: f.path, Err: err}
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// stat is fstat(2) of the open file.
func (f *rawFile) stat() (unix.Stat_t, error) {
	var st unix.Stat_t
	for {
		err := unix.Fstat(f.fd, &st)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return st, &os.PathError{Op: "fstat", Path: f.path, Err: err}
		}
		return st, nil
	}
}

// openFile opens the entry at p for reading without following any symlink and
// without blocking on a FIFO swapped in since the walk.
func (r *scannedRoot) openFile(p string) (*rawFile, error) {
	const flags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	rel := strings.TrimLeft(p, "/")
	if r.openat2 {
		how := &unix.OpenHow{Flags: flags, Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
		fd, err := unix.Openat2(r.fd, rel, how)
		for try := 0; try < 8 && (errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR)); try++ {
			fd, err = unix.Openat2(r.fd, rel, how) // a concurrent rename made the kernel unsure: ask again
		}
		switch {
		case err == nil:
			return &rawFile{fd: fd, path: p}, nil
		case errors.Is(err, unix.ENOSYS):
			r.openat2 = false // an old kernel, or a sandbox that hides openat2
		default:
			return nil, &os.PathError{Op: "openat2", Path: p, Err: err}
		}
	}
	for {
		fd, err := unix.Open(r.host(p), flags, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: p, Err: err}
		}
		return &rawFile{fd: fd, path: p}, nil
	}
}

// archivedXattrs are the extended attributes an overlay keeps: file
// capabilities (ping, and anything the admin setcap'ed) and the user namespace.
// security.selinux and ACLs belong to the target system's policy, trusted.* to
// the kernel's users of it.
func archivedXattr(name string) bool {
	return name == "security.capability" || strings.HasPrefix(name, "user.")
}

// xattrs reads the archived extended attributes, through f when it is open
// (regular files) or by path without following a symlink. buf is scratch
// space of at least 64 KiB, the largest list and value Linux allows. One
// listxattr per entry; a getxattr only for the attributes kept.
func (r *scannedRoot) xattrs(f *rawFile, p string, buf []byte) (map[string]string, error) {
	var n int
	var err error
	if f != nil {
		n, err = unix.Flistxattr(f.fd, buf)
	} else {
		n, err = unix.Llistxattr(r.host(p), buf)
	}
	if err != nil {
		if errors.Is(err, unix.ENOTSUP) {
			return nil, nil // the filesystem has none
		}
		return nil, fmt.Errorf("list xattrs: %w", err)
	}
	if n == 0 {
		return nil, nil
	}
	var names []string
	for name := range strings.SplitSeq(string(buf[:n]), "\x00") {
		if archivedXattr(name) {
			names = append(names, name)
		}
	}
	var recs map[string]string
	for _, name := range names {
		if f != nil {
			n, err = unix.Fgetxattr(f.fd, name, buf)
		} else {
			n, err = unix.Lgetxattr(r.host(p), name, buf)
		}
		if errors.Is(err, unix.ENODATA) {
			continue // removed since it was listed
		}
		if err != nil {
			return nil, fmt.Errorf("read xattr %s: %w", name, err)
		}
		if recs == nil {
			recs = map[string]string{}
		}
		recs["SCHILY.xattr."+name] = string(buf[:n])
	}
	return recs, nil
}
