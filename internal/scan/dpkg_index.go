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
	dirs       map[string]string    // canonical form of directories already resolved
}

// loadPkgIndex reads the dpkg database of the tree: the .list and .md5sums files
// of every installed package, the conffiles of the status file, and diversions.
func loadPkgIndex(ctx context.Context, t *tree) (*pkgIndex, error) {
	b := &indexBuilder{
		t:          t,
		idx:        &pkgIndex{paths: make(map[string]owner, 1<<15)},
		diversions: map[string]diversion{},
		dirs:       map[string]string{},
	}
	if err := b.readDiversions(); err != nil {
		return nil, err
	}
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
	err = eachLine(list, func(line string) {
		if k := b.key(line, p.Name); k != "" {
			if _, taken := b.idx.paths[k]; !taken {
				b.idx.paths[k] = owner{pkg: p.Name}
			}
		}
	})
	list.Close()
	if err != nil {
		return fmt.Errorf("file list of %s: %w", p.Name, err)
	}

	// A package without md5sums (rare, old packages) leaves its files
	// unverifiable; the walk then treats them as modified.
	if sums, err := b.openInfo(p, "md5sums"); err == nil {
		err = eachLine(sums, func(line string) {
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
	k := b.key(p, pkg)
	if k == "" {
		return
	}
	o, ok := b.idx.paths[k]
	if !ok {
		o = owner{pkg: pkg} // obsolete conffiles are no longer in the .list
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
	f, err := b.t.open(path.Join(dpkgInfoDir, p.Name+":"+p.Arch+"."+ext))
	if errors.Is(err, fs.ErrNotExist) {
		f, err = b.t.open(path.Join(dpkgInfoDir, p.Name+"."+ext))
	}
	return f, err
}

// key is the index key of a path dpkg lists for package pkg: canonical, and moved
// to the diverted name when another package diverts it.
func (b *indexBuilder) key(p, pkg string) string {
	if p == "" {
		return ""
	}
	k := b.canonical(p)
	if d, ok := b.diversions[k]; ok && d.by != pkg && !strings.HasPrefix(d.by, pkg+":") {
		k = d.to
	}
	return k
}

// canonical resolves the directories of p inside the tree, keeping the last
// component itself (a package may own the symlink "/lib64").
func (b *indexBuilder) canonical(p string) string {
	p = path.Clean("/" + p)
	if p == "/" {
		return p
	}
	dir, base := path.Split(p)
	return path.Join(b.canonicalDir(path.Clean(dir)), base)
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

// eachLine streams the non-empty lines of r.
func eachLine(r io.Reader, fn func(string)) error {
	br := bufio.NewReaderSize(r, 32<<10)
	for {
		line, err := readLine(br)
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
