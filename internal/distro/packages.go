package distro

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
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

// maxLine bounds one line of a Packages file; real ones stay far below.
const maxLine = 16 << 20

// ParsePackages reads a Packages index (deb822 control stanzas) from r and calls
// fn for every stanza that names a package and a version, in file order, without
// holding more than one stanza in memory. Continuation lines (multi-line fields
// such as Description) are skipped, as are fields Kiln does not keep.
func ParsePackages(r io.Reader, fn func(Entry) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	var e Entry
	line := 0
	flush := func() error {
		if e.Package != "" && e.Version != "" {
			if err := fn(e); err != nil {
				return err
			}
		}
		e = Entry{}
		return nil
	}
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		if b[0] == ' ' || b[0] == '\t' || b[0] == '#' {
			continue
		}
		k, v, ok := bytes.Cut(b, []byte(":"))
		if !ok {
			return fmt.Errorf("packages index line %d: no field name in %q", line, truncate(b))
		}
		v = bytes.TrimSpace(v)
		switch string(k) {
		case "Package":
			e.Package = string(v)
		case "Version":
			e.Version = string(v)
		case "Architecture":
			e.Architecture = string(v)
		case "Section":
			e.Section = string(v)
		case "Filename":
			e.Filename = string(v)
		case "Installed-Size":
			kib, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil || kib < 0 {
				return fmt.Errorf("packages index line %d: bad Installed-Size %q", line, truncate(v))
			}
			e.InstalledSize = kib * 1024
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read packages index after line %d: %w", line, err)
	}
	return flush()
}

func truncate(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}
