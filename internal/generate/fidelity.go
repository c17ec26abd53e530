package generate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/kilnhq/kiln/internal/overlay"
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/spec"
	"github.com/kilnhq/kiln/internal/treefs"
)

// maxListed bounds each list of a fidelity report; the counts stay exact.
const maxListed = 1000

// compareWithSource builds the fidelity report of tree against the overlay
// archive and package list of s.
func (e *Engine) compareWithSource(ctx context.Context, s *spec.Spec, tree string, installed []record.InstalledPackage) (*record.Fidelity, error) {
	rc, err := e.cfg.Overlays.OpenOverlay(ctx, s.Overlay.Key)
	if err != nil {
		return nil, fmt.Errorf("open overlay: %w", err)
	}
	defer rc.Close()
	root, err := treefs.Open(tree)
	if err != nil {
		return nil, fmt.Errorf("fidelity: %w", err)
	}
	defer root.Close()
	names, err := readNames(root)
	if err != nil {
		return nil, err
	}
	f := &record.Fidelity{}
	ff := &f.Files
	_, err = overlay.Check(ctx, rc, overlay.DefaultLimits(), func(en overlay.Entry) error {
		if skipOverlayPath(en.Path) {
			ff.SkippedCount++
			if len(ff.Skipped) < maxListed {
				ff.Skipped = append(ff.Skipped, en.Path)
			}
			return nil
		}
		ff.Compared++
		d, missing, err := compareEntry(root, en, names)
		switch {
		case err != nil:
			return err
		case missing:
			ff.MissingCount++
			if len(ff.Missing) < maxListed {
				ff.Missing = append(ff.Missing, en.Path)
			}
		case d != nil:
			ff.DifferingCount++
			if len(ff.Differing) < maxListed {
				ff.Differing = append(ff.Differing, *d)
			}
		default:
			ff.Same++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("compare overlay: %w", err)
	}
	f.Packages = comparePackages(s.Packages, installed)
	f.Accounts = compareAccounts(s.Install, names)
	return f, nil
}

// compareEntry looks en up in the tree. Parent directories are resolved
// inside the tree, never through a symlink leading out of it: the report is
// the tenant's to read, and must not describe the host's files.
func compareEntry(tree *treefs.Root, en overlay.Entry, names accountNames) (*record.FileDiff, bool, error) {
	st, err := tree.Lstat(en.Path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) ||
		errors.Is(err, unix.EXDEV) || errors.Is(err, treefs.ErrConflict) {
		return nil, true, nil // the path or a parent is missing, or leads nowhere: not in the image
	}
	if err != nil {
		return nil, false, fmt.Errorf("fidelity: %s: %w", en.Path, err)
	}
	diff := func(what, src, img string) (*record.FileDiff, bool, error) {
		return &record.FileDiff{Path: en.Path, What: what, Source: src, Image: img}, false, nil
	}
	if kind := kindOf(st.Mode()); kind != en.Kind && !(en.Kind == "hardlink" && kind == "file") {
		return diff("kind", en.Kind, kind)
	}
	switch en.Kind {
	case "symlink":
		target, err := tree.Readlink(en.Path)
		if err != nil {
			return nil, false, fmt.Errorf("fidelity: %s: %w", en.Path, err)
		}
		if target != en.LinkTarget {
			return diff("target", en.LinkTarget, target)
		}
		return nil, false, nil // a symlink's mode and owner mean nothing
	case "file":
		sum, err := hashFile(tree, en.Path)
		if err != nil {
			return nil, false, fmt.Errorf("fidelity: %s: %w", en.Path, err)
		}
		if sum != en.SHA256 {
			return diff("content", en.SHA256, sum)
		}
	}
	if mode := uint32(st.Mode().Perm()) | setBits(st.Mode()); mode != en.Mode&0o7777 {
		return diff("mode", fmt.Sprintf("%04o", en.Mode&0o7777), fmt.Sprintf("%04o", mode))
	}
	sys := st.Sys().(*syscall.Stat_t)
	src := owner(en.Uname, en.UID) + ":" + owner(en.Gname, en.GID)
	img := owner(names.users[int(sys.Uid)], int(sys.Uid)) + ":" + owner(names.groups[int(sys.Gid)], int(sys.Gid))
	if src != img {
		return diff("owner", src, img)
	}
	return nil, false, nil
}

// owner names an owner by name when it has one (uids differ between two
// machines for the same system account), by number otherwise.
func owner(name string, id int) string {
	if name != "" {
		return name
	}
	return fmt.Sprint(id)
}

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "file"
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	}
	return "other"
}

func setBits(m fs.FileMode) uint32 {
	var b uint32
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

func hashFile(tree *treefs.Root, p string) (string, error) {
	f, err := tree.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// accountNames maps the tree's uids and gids to names.
type accountNames struct{ users, groups map[int]string }

func readNames(tree *treefs.Root) (accountNames, error) {
	n := accountNames{users: map[int]string{}, groups: map[int]string{}}
	for file, m := range map[string]map[int]string{"/etc/passwd": n.users, "/etc/group": n.groups} {
		b, err := tree.ReadFile(file)
		if err != nil {
			return n, fmt.Errorf("fidelity: %w", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Split(line, ":")
			if len(f) < 3 {
				continue
			}
			var id int
			if _, err := fmt.Sscan(f[2], &id); err == nil {
				if _, dup := m[id]; !dup {
					m[id] = f[0]
				}
			}
		}
	}
	return n, nil
}

// comparePackages compares the scanned package list with what the image has.
func comparePackages(scanned []spec.Package, installed []record.InstalledPackage) record.PackageFidelity {
	have := map[string]string{}
	for _, p := range installed {
		have[p.Name] = p.Version
		if p.Arch != "" && p.Arch != "all" && p.Arch != "amd64" {
			have[p.Name+":"+p.Arch] = p.Version
		}
	}
	var pf record.PackageFidelity
	seen := map[string]bool{}
	for _, p := range scanned {
		pf.Compared++
		seen[p.Name] = true
		v, ok := have[p.Name]
		switch {
		case !ok:
			pf.Missing = append(pf.Missing, p.Name)
		case p.Version != "" && v != p.Version:
			pf.Differing = append(pf.Differing, record.PackageDiff{Name: p.Name, Source: p.Version, Image: v})
		default:
			pf.Same++
		}
	}
	for _, p := range installed {
		if !seen[p.Name] && !seen[p.Name+":"+p.Arch] {
			pf.Extra = append(pf.Extra, p.Name)
		}
	}
	sort.Strings(pf.Extra)
	return pf
}
