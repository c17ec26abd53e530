package overlay

import (
	"crypto/sha256"
	"fmt"
	"hash"
)

// pathKey stands for a path in the member index: 128 bits of its SHA-256.
// Names may be 4 KiB long, so keeping digests rather than names bounds the
// index to a few dozen bytes per member; finding two names with the same
// key would take about 2^64 hashes.
type pathKey [16]byte

// index remembers the kind of every member seen so far, to refuse
// duplicates, members below a symlink or a non-directory of the archive, and
// hard links to anything but an earlier file.
type index struct {
	kinds map[pathKey]kindCode
	h     hash.Hash
	sum   [sha256.Size]byte
	buf   []byte
}

func newIndex() *index {
	return &index{kinds: make(map[pathKey]kindCode), h: sha256.New()}
}

// kindCode is an entry kind in one byte: the index holds millions of them.
type kindCode uint8

const (
	codeNone kindCode = iota
	codeFile
	codeDir
	codeSymlink
	codeHardlink
	codeFIFO
)

func codeOf(kind string) kindCode {
	switch kind {
	case KindFile:
		return codeFile
	case KindDir:
		return codeDir
	case KindSymlink:
		return codeSymlink
	case KindHardlink:
		return codeHardlink
	case KindFIFO:
		return codeFIFO
	}
	return codeNone
}

func (c kindCode) String() string {
	switch c {
	case codeFile:
		return KindFile
	case codeDir:
		return KindDir
	case codeSymlink:
		return KindSymlink
	case codeHardlink:
		return KindHardlink
	case codeFIFO:
		return KindFIFO
	}
	return "nothing"
}

// keys returns the key of the clean absolute path p, after calling fn with
// each proper ancestor and its key (shallowest first) until fn returns false.
// One running hash serves every prefix, so the cost stays linear in the
// name's length however deep it is.
func (ix *index) keys(p string, fn func(parent string, k pathKey) bool) (k pathKey, ok bool) {
	ix.buf = append(ix.buf[:0], p...)
	ix.h.Reset()
	start := 0
	for i := 1; i < len(ix.buf); i++ {
		if ix.buf[i] != '/' {
			continue
		}
		ix.h.Write(ix.buf[start:i])
		start = i
		copy(k[:], ix.h.Sum(ix.sum[:0])) // Sum leaves the running state alone
		if !fn(p[:i], k) {
			return k, false
		}
	}
	ix.h.Write(ix.buf[start:])
	copy(k[:], ix.h.Sum(ix.sum[:0]))
	return k, true
}

// key is the key of p alone.
func (ix *index) key(p string) pathKey {
	k, _ := ix.keys(p, func(string, pathKey) bool { return true })
	return k
}

// checkParents refuses p when an ancestor is, in the archive, a symlink (the
// write would go through it) or anything but a directory, and returns p's key.
func (ix *index) checkParents(p string) (pathKey, error) {
	var bad error
	k, _ := ix.keys(p, func(parent string, k pathKey) bool {
		switch kind := ix.kinds[k]; kind {
		case codeNone, codeDir:
			return true
		case codeSymlink:
			bad = fmt.Errorf("goes through %q, a symlink earlier in the archive", parent)
		default:
			bad = fmt.Errorf("parent %q is a %s earlier in the archive, not a directory", parent, kind)
		}
		return false
	})
	return k, bad
}

// admit records e, refusing a path seen before, a path below a symlink or
// non-directory of the archive, and a hard link whose target is not an
// earlier regular file reached the same way.
func (ix *index) admit(e *Entry) error {
	k, err := ix.checkParents(e.Path)
	if err != nil {
		return err
	}
	if prev, dup := ix.kinds[k]; dup {
		return fmt.Errorf("duplicate path (an earlier %s)", prev)
	}
	if e.Kind == KindHardlink {
		tk, err := ix.checkParents(e.LinkTarget)
		if err != nil {
			return fmt.Errorf("hard link target %q: %w", e.LinkTarget, err)
		}
		switch kind := ix.kinds[tk]; kind {
		case codeFile, codeHardlink:
		case codeNone:
			return fmt.Errorf("hard link to %q, which is not earlier in the archive", e.LinkTarget)
		default:
			return fmt.Errorf("hard link to %q, a %s", e.LinkTarget, kind)
		}
	}
	ix.kinds[k] = codeOf(e.Kind)
	return nil
}
