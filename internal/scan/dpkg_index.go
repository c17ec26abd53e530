package scan

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kilnhq/kiln/internal/debian"
)

// owner says which installed package provides a path and what its content should
// be. md5 is known for the regular files of dpkg's md5sums and for conffiles;
// directories and symlinks have none (dpkg records neither their targets nor
// their modes).
type owner struct {
	pkg      string // package name; one string per package, shared by its paths
	md5      [16]byte
	hasMD5   bool
	conffile bool
	obsolete bool // a conffile the installed version no longer ships
	// installed is when dpkg last wrote the package's file list (UnixNano; 0:
	// unknown): every file of that list was put in place before it. See
	// untouchedSince.
	installed int64
	// diverted: a diversion names the path (from or to); shared: more than one
	// package instance lists it. Either way the file on disk may not be the
	// one the owner's list vouches for, so its ctime proves nothing.
	diverted, shared bool
	gen              uint32 // the package instance (indexBuilder.gen) that listed it first
}

// untouchedSince reports whether a package file whose inode has ctime ctime
// (UnixNano) can be taken as dpkg installed it, without reading it.
//
// dpkg unpacks every file of a package (to NAME.dpkg-new, renamed into place)
// before it writes the package's file list /var/lib/dpkg/info/PKG.list, and
// it rewrites every file of the new version on an upgrade or reinstall. Any
// later change to the file's inode sets its ctime to the current time: a
// write, truncate, chmod, chown, xattr change, link or unlink, and a rename
// (on Linux's ext4, xfs, btrfs, tmpfs, overlayfs…). A file written in place
// by anyone else since then, or replaced (a new inode, created since), has a
// ctime after the list's. ctime cannot be set by a user (utimes sets atime
// and mtime only). So a file whose ctime is strictly before the list was
// written still holds what dpkg unpacked from the archive, whose md5 is what
// md5sums records. Strictly: timestamps come from a coarse clock (a few ms,
// or whole seconds on some filesystems), and a change in the same tick as the
// list's write must still be read. (A fresh mmdebstrap of bookworm with a
// kernel and cloud-init: 14,804 package files dated before their list, 273
// after it, mostly conffiles, which dpkg puts in place when it configures.)
//
// The exceptions, always read:
//   - conffiles: dpkg keeps a modified conffile across an upgrade (and puts a
//     new one in place only when configuring, after the list is written), so
//     an old ctime proves nothing about its content;
//   - diverted paths and paths listed by several packages: the file there may
//     come from another package than the list that dates it;
//   - packages whose list time is unknown, or in the future (the clock was set
//     back since: ctimes are not comparable then).
//
// The list's time is the earlier of its mtime and its ctime: utimes can move
// the mtime (a copy or restore keeps the old one, which only makes files look
// newer and read), never the ctime. What this trusts is the kernel's clock
// and dpkg's database: a root user who rewrites ctimes through the raw block
// device, or dpkg's own files, could hide a change, as they could by editing
// md5sums. A copied or restored tree (cp -a, tar x, rsync) gives every file a
// new ctime: the fast path then finds nothing to skip, and everything is read.
// One more way to lose a ctime: a filesystem mounted with lazytime keeps the
// timestamps of an in-place overwrite that does not change the size in memory
// only, for up to a day; a crash in that window leaves the old ctime on disk.
// OverlayOptions.VerifyAll reads everything whatever the ctimes say.
func (o owner) untouchedSince(ctime int64) bool {
	return o.installed > 0 && ctime < o.installed && !o.conffile && !o.diverted && !o.shared
}

// pkgIndex maps the canonical in-tree path of every package-owned entry to its
// owner. A path is canonical when its directories are resolved inside the tree:
// dpkg records "/bin/ls" while on a merged-/usr system the walk meets
// "/usr/bin/ls". ~20k entries for a minimal Debian, ~65k for a desktop: a few MB.
type pkgIndex struct {
	paths map[string]owner
	// problems are the packages whose file list could not be read: their files
	// count as added.
	problems []string
}

// diversion is one entry of /var/lib/dpkg/diversions: the files of packages other
// than by that would be installed at from are at to instead.
type diversion struct {
	to, by string // by is ":" for a local (administrator's) diversion
}

// indexBuilder holds what building the index needs and the index does not.
type indexBuilder struct {
	t          *tree
	idx        *pkgIndex
	diversions map[string]diversion // by canonical "from"
	divertedTo map[string]bool      // canonical "to" of every diversion
	dirs       map[string]string    // canonical form of directories already resolved
	now        int64                // UnixNano when the index was started
	br         *bufio.Reader        // eachLine's
	infoFd     int                  // dpkg's info directory, once infoTried (-1: cannot be opened)
	infoTried  bool
	gen        uint32 // counts the packages indexed (name and arch)
}

// loadPkgIndex reads the dpkg database of the tree: the .list and .md5sums files
// of every installed package, the conffiles of the status file, and diversions.
func loadPkgIndex(ctx context.Context, t *tree) (*pkgIndex, error) {
	b := &indexBuilder{
		t:          t,
		idx:        &pkgIndex{paths: make(map[string]owner, 1<<15)},
		diversions: map[string]diversion{},
		divertedTo: map[string]bool{},
		dirs:       map[string]string{},
		now:        time.Now().UnixNano(),
	}
	if err := b.readDiversions(); err != nil {
		return nil, err
	}
	defer func() {
		if b.infoTried && b.infoFd >= 0 {
			unix.Close(b.infoFd)
		}
	}()
	err := readInstalled(ctx, t, func(p installedPackage) error {
		return b.addPackage(ctx, p)
	})
	if err != nil {
		return nil, fmt.Errorf("package index: %w", err)
	}
	return b.idx, nil
}

func (b *indexBuilder) readDiversions() error {
	data, err := b.t.readFile(dpkgDiversionsPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("package index: %w", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for i := 0; i+2 < len(lines); i += 3 {
		from, to := b.canonical(lines[i]), b.canonical(lines[i+1])
		b.diversions[from] = diversion{to: to, by: lines[i+2]}
		b.divertedTo[to] = true
	}
	return nil
}

// addPackage indexes one installed package's files, md5sums and conffiles.
func (b *indexBuilder) addPackage(ctx context.Context, p installedPackage) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	list, err := b.openInfo(p, "list")
	if err != nil {
		// Its files then count as added: too much in the overlay, nothing lost.
		b.idx.problems = append(b.idx.problems, fmt.Sprintf("file list of %s: %v", p.Name, err))
		return nil
	}
	b.gen++
	installed := listTime(list, b.now)
	err = b.eachLine(list, func(line string) {
		k, diverted := b.key(line, p.Name)
		if k == "" {
			return
		}
		if o, taken := b.idx.paths[k]; taken {
			if o.gen != b.gen && !o.shared {
				o.shared = true
				b.idx.paths[k] = o
			}
			return
		}
		b.idx.paths[k] = owner{pkg: p.Name, installed: installed, diverted: diverted, gen: b.gen}
	})
	list.Close()
	if err != nil {
		return fmt.Errorf("file list of %s: %w", p.Name, err)
	}

	// A package without md5sums (rare, old packages) leaves its files
	// unverifiable; the walk then treats them as modified.
	if sums, err := b.openInfo(p, "md5sums"); err == nil {
		err = b.eachLine(sums, func(line string) {
			sum, rel, ok := strings.Cut(line, " ")
			if md5, good := parseMD5(sum); ok && good {
				b.record("/"+strings.TrimLeft(rel, " "), p.Name, md5, true, false, false)
			}
		})
		sums.Close()
		if err != nil {
			return fmt.Errorf("md5sums of %s: %w", p.Name, err)
		}
	}

	for _, c := range p.Conffiles {
		// "newconffile" (or damage) gives no reference to compare with: the file
		// then counts as modified, since copying a config file is the safe mistake.
		md5, ok := parseMD5(c.MD5)
		b.record(c.Path, p.Name, md5, ok, true, c.Obsolete)
	}
	return nil
}

// record sets the expected md5 of a package file (known false: none usable) and
// its conffile flags.
func (b *indexBuilder) record(p, pkg string, md5 [16]byte, known, conffile, obsolete bool) {
	k, diverted := b.key(p, pkg)
	if k == "" {
		return
	}
	o, ok := b.idx.paths[k]
	switch {
	case !ok:
		// Obsolete conffiles are no longer in the .list; a path only md5sums
		// names has no install time.
		o = owner{pkg: pkg, diverted: diverted, gen: b.gen}
	case o.gen != b.gen && !o.shared:
		o.shared = true // another package's list or records name it too
		b.idx.paths[k] = o
	}
	if o.pkg != pkg && o.hasMD5 {
		return // first owner wins (Multi-Arch: same copies are identical)
	}
	if known {
		o.md5, o.hasMD5 = md5, true
	}
	if conffile {
		o.conffile, o.obsolete = true, obsolete
	}
	b.idx.paths[k] = o
}

// openInfo opens /var/lib/dpkg/info/NAME[:ARCH].EXT: Multi-Arch: same packages
// carry the architecture in the file name, others do not.
func (b *indexBuilder) openInfo(p installedPackage, ext string) (*os.File, error) {
	f, err := b.openInfoFile(p.Name + ":" + p.Arch + "." + ext)
	if errors.Is(err, fs.ErrNotExist) {
		f, err = b.openInfoFile(p.Name + "." + ext)
	}
	return f, err
}

// openInfoFile opens the regular file name of dpkg's info directory, through
// a descriptor of the directory (resolved inside the tree once, not for each
// of the hundreds of files). A symlink there, which dpkg never makes, is
// resolved inside the tree as tree.open does.
func (b *indexBuilder) openInfoFile(name string) (*os.File, error) {
	if !b.infoTried {
		b.infoTried, b.infoFd = true, -1
		if phys, err := b.t.resolve(dpkgInfoDir, true); err == nil {
			if fd, err := unix.Open(b.t.host(phys), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
				b.infoFd = fd
			}
		}
	}
	if b.infoFd < 0 {
		return b.t.open(path.Join(dpkgInfoDir, name))
	}
	fd, err := unix.Openat(b.infoFd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ELOOP):
		return b.t.open(path.Join(dpkgInfoDir, name))
	case err != nil:
		return nil, &os.PathError{Op: "open", Path: path.Join(dpkgInfoDir, name), Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		if err == nil {
			err = fmt.Errorf("not a regular file")
		}
		return nil, &os.PathError{Op: "open", Path: path.Join(dpkgInfoDir, name), Err: err}
	}
	return os.NewFile(uintptr(fd), b.t.host(path.Join(dpkgInfoDir, name))), nil
}

// key is the index key of a path dpkg lists for package pkg: canonical, and moved
// to the diverted name when another package diverts it. diverted reports that
// a diversion involves the path.
func (b *indexBuilder) key(p, pkg string) (k string, diverted bool) {
	if p == "" {
		return "", false
	}
	k = b.canonical(p)
	d, ok := b.diversions[k]
	if ok && d.by != pkg && !strings.HasPrefix(d.by, pkg+":") {
		k = d.to
	}
	return k, ok || b.divertedTo[k]
}

// listTime is when dpkg last wrote the open file list f (UnixNano): the
// earlier of its mtime and ctime (owner.untouchedSince says why); 0 when it
// cannot be told, or is after now (the clock went back since).
func listTime(f *os.File, now int64) int64 {
	info, err := f.Stat()
	if err != nil {
		return 0
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0
	}
	t := min(st.Mtim.Nano(), st.Ctim.Nano())
	if t <= 0 || t > now {
		return 0
	}
	return t
}

// canonical resolves the directories of p inside the tree, keeping the last
// component itself (a package may own the symlink "/lib64").
func (b *indexBuilder) canonical(p string) string {
	if strings.HasPrefix(p, "/") {
		p = path.Clean(p) // no copy when it is clean already, as dpkg writes them
	} else {
		p = path.Clean("/" + p)
	}
	if p == "/" {
		return p
	}
	dir, base := path.Split(p)
	dir = dir[:len(dir)-1]
	if dir == "" {
		dir = "/"
	}
	c := b.canonicalDir(dir)
	if c == dir {
		return p // its directories are real ones: the usual case
	}
	return path.Join(c, base)
}

func (b *indexBuilder) canonicalDir(d string) string {
	if d == "/" {
		return d
	}
	if c, ok := b.dirs[d]; ok {
		return c
	}
	c := path.Join(b.canonicalDir(path.Dir(d)), path.Base(d))
	if info, err := os.Lstat(b.t.host(c)); err == nil && info.Mode()&fs.ModeSymlink != 0 {
		if r, err := b.t.resolve(c, true); err == nil {
			c = r
		}
	}
	b.dirs[d] = c
	return c
}

func parseMD5(s string) ([16]byte, bool) {
	var sum [16]byte
	if len(s) != 32 {
		return sum, false
	}
	_, err := hex.Decode(sum[:], []byte(s))
	return sum, err == nil
}

// eachLine streams the non-empty lines of r, through the builder's one
// reader (a system has a file list and an md5sums per package: hundreds).
func (b *indexBuilder) eachLine(r io.Reader, fn func(string)) error {
	if b.br == nil {
		b.br = bufio.NewReaderSize(r, 32<<10)
	} else {
		b.br.Reset(r)
	}
	defer b.br.Reset(nil)
	for {
		line, err := debian.ReadLine(b.br, maxLine)
		if len(line) > 0 {
			fn(string(line))
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
