package overlay

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path"
	"strings"
	"testing"
)

// fuzzLimits keep each input's work small.
func fuzzLimits() Limits {
	return Limits{MaxBytes: 1 << 20, MaxEntries: 200, MaxFileBytes: 256 << 10}
}

// addSeeds seeds a fuzz target with the normal archive (plain and gzip)
// and every small hostile case.
func addSeeds(f *testing.F) {
	normal := tarOf(f, normalMembers()...)
	f.Add(normal)
	f.Add(gzipOf(f, normal))
	s := sandbox{base: "/nonexistent", root: "/nonexistent/root", sentinel: "/nonexistent/sentinel"}
	for _, c := range hostileCases() {
		if c.data == nil {
			continue
		}
		// Large seeds make the fuzzer spend its time minimizing.
		if b := c.data(f, s); len(b) <= 8<<10 {
			f.Add(b)
		}
	}
}

// validPath says p is what Entry.Path promises: absolute, clean, no ".."
// and no NUL.
func validPath(p string) bool {
	return strings.HasPrefix(p, "/") && path.Clean(p) == p && !strings.Contains(p, "\x00") &&
		!strings.Contains(p+"/", "/../") && len(p) <= maxName
}

// FuzzCheck: no input makes Check panic, accept an entry whose path could
// leave the root or is not what Entry promises, or fail on a byte slice
// with anything but a rejection.
func FuzzCheck(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		seen := map[string]string{}
		var n int64
		sum, err := Check(context.Background(), bytes.NewReader(data), fuzzLimits(), func(e Entry) error {
			n++
			if !validPath(e.Path) {
				t.Fatalf("accepted path %q", e.Path)
			}
			if _, dup := seen[e.Path]; dup {
				t.Fatalf("accepted %q twice", e.Path)
			}
			if e.Path == "/" && e.Kind != KindDir {
				t.Fatalf("root as a %s", e.Kind)
			}
			parents(e.Path, func(p string) bool {
				if k, ok := seen[p]; ok && k != KindDir {
					t.Fatalf("%q accepted below %q, a %s", e.Path, p, k)
				}
				return true
			})
			switch e.Kind {
			case KindFile:
				if len(e.SHA256) != 64 || e.Size < 0 {
					t.Fatalf("file %q: size %d, sha256 %q", e.Path, e.Size, e.SHA256)
				}
			case KindHardlink:
				if !validPath(e.LinkTarget) || (seen[e.LinkTarget] != KindFile && seen[e.LinkTarget] != KindHardlink) {
					t.Fatalf("hard link %q to %q (%q)", e.Path, e.LinkTarget, seen[e.LinkTarget])
				}
			case KindSymlink:
				if e.LinkTarget == "" || strings.Contains(e.LinkTarget, "\x00") {
					t.Fatalf("symlink %q to %q", e.Path, e.LinkTarget)
				}
			case KindDir, KindFIFO:
			default:
				t.Fatalf("kind %q", e.Kind)
			}
			if e.Mode&^0o7777 != 0 || e.UID < 0 || e.GID < 0 || e.UID > maxID || e.GID > maxID {
				t.Fatalf("%q: mode %o, owner %d:%d", e.Path, e.Mode, e.UID, e.GID)
			}
			seen[e.Path] = e.Kind
			return nil
		})
		if err != nil {
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("a byte slice failed without a rejection: %v", err)
			}
			return
		}
		h := sha256.Sum256(data)
		if sum.Entries != n || sum.StreamBytes != int64(len(data)) || sum.SHA256 != hex.EncodeToString(h[:]) {
			t.Fatalf("summary %+v for %d entries, %d bytes", sum, n, len(data))
		}
	})
}

// FuzzApply: whatever the input, Apply writes nothing outside the root and
// leaves no temporary behind.
func FuzzApply(f *testing.F) {
	if os.Geteuid() != 0 {
		f.Skip("Apply needs root")
	}
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newSandbox(t)
		s.mkdir(t, "usr/bin", "etc")
		s.symlink(t, "usr/bin", "bin")
		s.symlink(t, s.sentinel, "etc/out")
		s.symlink(t, "../../../..", "etc/up")
		_, err := Apply(context.Background(), bytes.NewReader(data), s.root, ApplyOptions{Limits: fuzzLimits()})
		if err != nil && !errors.Is(err, ErrRejected) && !errors.Is(err, ErrConflict) {
			t.Logf("neither rejected nor a conflict: %v", err)
		}
		s.contained(t)
	})
}
