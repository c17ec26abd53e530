package overlay

import (
	"archive/tar"
	"errors"
	"fmt"
	"strings"
)

const (
	// paxXattrPrefix is where GNU tar, Go and tartree put extended attributes.
	paxXattrPrefix = "SCHILY.xattr."
	// maxXattrValue is Linux's XATTR_SIZE_MAX.
	maxXattrValue = 64 << 10
	// maxID is the largest uid or gid: (uid_t)-1 means "leave unchanged" to
	// chown, so it cannot be an owner.
	maxID = 1<<32 - 2
)

// keepXattr says which extended attributes are applied, as tartree keeps
// them: security.capability carries file capabilities, user.* is the
// application's own; trusted.*, security.selinux and system.* describe the
// scanned host rather than its files.
func keepXattr(name string) bool {
	return name == "security.capability" || strings.HasPrefix(name, "user.") && len(name) > len("user.")
}

// entry turns a tar header into an Entry, or says why the member is refused.
func (rd *reader) entry(hdr *tar.Header) (*Entry, error) {
	e := &Entry{
		Mode:    uint32(hdr.Mode) & 0o7777,
		UID:     hdr.Uid,
		GID:     hdr.Gid,
		Uname:   hdr.Uname,
		Gname:   hdr.Gname,
		ModTime: hdr.ModTime,
	}
	switch hdr.Typeflag {
	case tar.TypeReg: // archive/tar turns the old '\x00' into TypeReg or TypeDir
		e.Kind = KindFile
	case tar.TypeDir:
		e.Kind = KindDir
	case tar.TypeSymlink:
		e.Kind = KindSymlink
	case tar.TypeLink:
		e.Kind = KindHardlink
	case tar.TypeFifo:
		e.Kind = KindFIFO
	case tar.TypeChar, tar.TypeBlock:
		return nil, errors.New("device node (a scan never archives devices)")
	case tar.TypeGNUSparse:
		return nil, errors.New("sparse file (its logical size would not be bounded by the stream)")
	case tar.TypeXGlobalHeader:
		return nil, errors.New("PAX global header (its records would apply to every later member)")
	default:
		return nil, fmt.Errorf("unsupported member type %q", hdr.Typeflag)
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return nil, errors.New("sparse file (its logical size would not be bounded by the stream)")
		}
	}

	var err error
	if e.Path, err = cleanName(hdr.Name, e.Kind == KindDir); err != nil {
		return nil, err
	}
	if e.UID < 0 || e.UID > maxID || e.GID < 0 || e.GID > maxID {
		return nil, fmt.Errorf("owner %d:%d out of range", e.UID, e.GID)
	}
	switch e.Kind {
	case KindFile:
		switch {
		case hdr.Size > rd.lim.MaxFileBytes:
			return nil, fmt.Errorf("file of %d bytes, over the limit of %d", hdr.Size, rd.lim.MaxFileBytes)
		case hdr.Size > rd.lim.MaxBytes-rd.in.n:
			return nil, fmt.Errorf("file of %d bytes would take the archive over its limit of %d bytes", hdr.Size, rd.lim.MaxBytes)
		}
		e.Size = hdr.Size
	case KindSymlink:
		switch t := hdr.Linkname; {
		case t == "":
			return nil, errors.New("symlink without a target")
		case strings.IndexByte(t, 0) >= 0:
			return nil, errors.New("NUL byte in symlink target")
		case len(t) >= maxName:
			return nil, errors.New("symlink target longer than 4095 bytes")
		}
		e.LinkTarget = hdr.Linkname
	case KindHardlink:
		t, err := cleanName(hdr.Linkname, false)
		if err != nil {
			return nil, fmt.Errorf("hard link target %q: %w", hdr.Linkname, err)
		}
		e.LinkTarget = t
	}
	if e.Kind == KindFile || e.Kind == KindDir {
		// Linux allows user.* only on files and directories; a hard link
		// shares its target's inode and attributes.
		if e.Xattrs, err = xattrs(hdr.PAXRecords); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// xattrs extracts the kept extended attributes from PAX records.
func xattrs(recs map[string]string) (map[string][]byte, error) {
	var out map[string][]byte
	for k, v := range recs {
		name, ok := strings.CutPrefix(k, paxXattrPrefix)
		if !ok || !keepXattr(name) {
			continue
		}
		switch {
		case len(name) > maxComponent || strings.IndexByte(name, 0) >= 0:
			return nil, fmt.Errorf("extended attribute name %q is not valid", name)
		case len(v) > maxXattrValue:
			return nil, fmt.Errorf("extended attribute %s of %d bytes, over Linux's 64 KiB", name, len(v))
		case name == "security.capability" && !validCaps(v):
			return nil, errors.New("security.capability is not a version 2 or 3 capability set")
		}
		if out == nil {
			out = make(map[string][]byte)
		}
		out[name] = []byte(v)
	}
	return out, nil
}

// validCaps checks the layout the kernel accepts from setxattr (struct
// vfs_cap_data or vfs_ns_cap_data), so that Check refuses what Apply could
// not set.
func validCaps(v string) bool {
	if len(v) < 4 {
		return false
	}
	revision := v[3] // the top byte of the little-endian magic_etc
	return revision == 2 && len(v) == 20 || revision == 3 && len(v) == 24
}
