package distro

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/kilnhq/kiln/internal/debian"
)

// Entry is one stanza of a Packages index, reduced to what Kiln keeps.
type Entry struct {
	Package       string
	Version       string
	Architecture  string
	Section       string
	InstalledSize int64 // bytes (the index says KiB)
	Filename      string
}

// ParsePackages reads a Packages index (deb822 control stanzas) from r and calls
// fn for every stanza that names a package and a version, in file order, without
// holding more than one stanza in memory. Fields Kiln does not keep, multi-line
// ones such as Description among them, are skipped; field names match in any
// case. A malformed line fails the index: it comes from the mirror, not a
// machine.
func ParsePackages(r io.Reader, fn func(Entry) error) error {
	rd := debian.NewReader(r, "Package", "Version", "Architecture", "Section", "Filename", "Installed-Size")
	rd.ReuseParagraph = true
	for {
		p, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if _, bad := errors.AsType[*debian.SyntaxError](err); bad {
			return fmt.Errorf("packages index %w", err)
		}
		if err != nil {
			return fmt.Errorf("read packages index: %w", err)
		}
		e := Entry{Package: p.Get("Package"), Version: p.Get("Version"), Architecture: p.Get("Architecture"),
			Section: p.Get("Section"), Filename: p.Get("Filename")}
		if f, ok := p.Field("Installed-Size"); ok {
			kib, err := strconv.ParseInt(f.Value, 10, 64)
			if err != nil || kib < 0 {
				return fmt.Errorf("packages index line %d: bad Installed-Size %q", f.Line, truncate(f.Value))
			}
			e.InstalledSize = kib * 1024
		}
		if e.Package == "" || e.Version == "" {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
