package debian

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxLine is the longest line a Reader accepts unless told otherwise.
// Real lines are far shorter (the longest, a Packages index's Depends or
// Description, stay under a few KiB); the bound only keeps a corrupt file from
// exhausting memory.
const DefaultMaxLine = 16 << 20

// Field is one field of a deb822 paragraph.
type Field struct {
	// Name is the field name as the file spells it.
	Name string
	// Value is the text after the colon, trimmed, followed by each
	// continuation line, trimmed, after a newline ("Conffiles:" with two
	// indented lines gives their two lines; an empty first line adds none).
	Value string
	// Line is the number (from 1) of the line that holds the field name.
	Line int
}

// Paragraph is one paragraph of a deb822 file: its fields in file order, each
// name once (when a name is repeated, the last value wins).
type Paragraph []Field

// Field names are case-insensitive: Debian Policy §5.1 says so, and dpkg and
// apt read them that way ("package: a" is a Package field). Every lookup, in
// Paragraph and in a Reader's list of fields to keep, compares names with
// sameName; a Field keeps the name as the file spells it.

// sameName reports whether two field names are the same name: equal but for
// the case of ASCII letters (field names are US-ASCII, Policy §5.1).
func sameName[A, B ~string | ~[]byte](a A, b B) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if x != y && (x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z') {
			return false
		}
	}
	return true
}

// Field returns the field of that name (any case).
func (p Paragraph) Field(name string) (Field, bool) {
	for _, f := range p {
		if sameName(f.Name, name) {
			return f, true
		}
	}
	return Field{}, false
}

// Get returns the value of the field of that name (any case), "" when the
// paragraph has none.
func (p Paragraph) Get(name string) string {
	f, _ := p.Field(name)
	return f.Value
}

// SyntaxError is a line that is neither a field ("Name: value"), a
// continuation (indented), a comment ('#' first) nor blank.
type SyntaxError struct {
	Line int    // its number, from 1
	Text string // its first 80 bytes (then "…")
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d: no field name in %q", e.Line, e.Text)
}

// Reader reads the paragraphs of a deb822 file (dpkg's status, apt's
// extended_states and .sources, a Packages index) one at a time: memory is one
// paragraph's kept fields, whatever the size of the file.
//
// Paragraphs are separated by blank lines (or lines of blanks). A line whose
// first byte is a space or a tab continues the field before it; one that
// starts with '#' is a comment, skipped. A paragraph with no kept field is
// skipped. A line longer than MaxLine fails the read.
type Reader struct {
	// MaxLine bounds one line, in bytes; 0 means DefaultMaxLine.
	MaxLine int
	// ReuseParagraph lets Next return its paragraph in the array of the one it
	// returned before, for speed: a paragraph is then valid until the next
	// call (its strings stay valid).
	ReuseParagraph bool

	br    *bufio.Reader
	keep  []string
	line  int
	cur   Paragraph
	field int   // the index in cur of the field continuation lines extend; -1: none
	err   error // sticky: a read error, or io.EOF once the input is consumed
}

// NewReader returns a Reader of r that keeps the fields named in keep (any
// case), or every field when keep is empty.
func NewReader(r io.Reader, keep ...string) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), keep: keep, field: -1}
}

// Next returns the next paragraph, or io.EOF after the last one. A malformed
// line makes Next return a *SyntaxError; the line is then skipped and the
// Reader stays usable: calling Next again carries on with the same paragraph,
// for callers that read untrusted files leniently. A read error, or a line
// longer than MaxLine, is returned instead of the paragraph it cut short, and
// again by every later call.
func (r *Reader) Next() (Paragraph, error) {
	for r.err == nil {
		line, err := r.readLine()
		switch {
		case errors.Is(err, io.EOF):
			r.err = err // after this last line
		case err != nil:
			r.err, r.cur = err, nil
			return nil, err
		}
		if blank(line) {
			if p := r.flush(); p != nil {
				return p, nil
			}
			continue
		}
		if serr := r.add(line); serr != nil {
			return nil, serr
		}
	}
	if p := r.flush(); p != nil {
		return p, nil
	}
	return nil, r.err
}

// blank reports whether line separates paragraphs: empty, or white space only.
func blank(line []byte) bool {
	if len(line) > 0 && line[0] > ' ' && line[0] < 0x80 {
		return false // the usual line, and the quick answer
	}
	return len(bytes.TrimSpace(line)) == 0
}

// add takes in one non-blank line of the current paragraph.
func (r *Reader) add(line []byte) error {
	switch line[0] {
	case ' ', '\t':
		if r.field >= 0 {
			f := &r.cur[r.field]
			v := string(bytes.TrimSpace(line))
			if f.Value == "" {
				f.Value = v
			} else {
				f.Value += "\n" + v
			}
		}
		return nil
	case '#':
		return nil
	}
	r.field = -1
	var name []byte
	colon := bytes.IndexByte(line, ':')
	if colon > 0 {
		name = line[:colon]
		for len(name) > 0 && (name[len(name)-1] == ' ' || name[len(name)-1] == '\t') {
			name = name[:len(name)-1]
		}
	}
	if len(name) == 0 {
		text := string(line[:min(len(line), 80)])
		if len(line) > 80 {
			text += "…"
		}
		return &SyntaxError{Line: r.line, Text: text}
	}
	spelling, ok := r.kept(name)
	if !ok {
		return nil
	}
	f := Field{Name: spelling, Value: string(bytes.TrimSpace(line[colon+1:])), Line: r.line}
	for i := range r.cur {
		if sameName(r.cur[i].Name, f.Name) {
			r.cur[i], r.field = f, i
			return nil
		}
	}
	r.cur = append(r.cur, f)
	r.field = len(r.cur) - 1
	return nil
}

// kept reports whether the field name is kept, and its spelling as a string:
// the keep list's when it is the same, so that the usual case allocates none
// (and costs one comparison of bytes per kept field).
func (r *Reader) kept(name []byte) (string, bool) {
	if len(r.keep) == 0 {
		return string(name), true
	}
	for _, k := range r.keep {
		if k == string(name) {
			return k, true
		}
	}
	for _, k := range r.keep {
		if sameName(k, name) {
			return string(name), true
		}
	}
	return "", false
}

// flush returns the paragraph read so far, if it has a field, and starts the
// next one.
func (r *Reader) flush() Paragraph {
	p := r.cur
	r.cur, r.field = nil, -1
	if r.ReuseParagraph {
		r.cur = p[:0]
	}
	if len(p) == 0 {
		return nil
	}
	return p
}

// readLine returns the next line, counted, without its line ending. At the
// end of the input it returns the last (possibly empty) line with io.EOF.
func (r *Reader) readLine() ([]byte, error) {
	limit := r.MaxLine
	if limit <= 0 {
		limit = DefaultMaxLine
	}
	r.line++
	line, err := ReadLine(r.br, limit)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("line %d: %w", r.line, err)
	}
	return line, err
}

// ReadLine returns the next line of br without its line ending ("\n" or
// "\r\n"), for the line-based files of a dpkg database (info/*.list,
// *.md5sums) as well as Reader. A line longer than limit bytes is an error. At
// the end of the input it returns the last (possibly empty) line with io.EOF.
// The line is valid until the next read from br.
func ReadLine(br *bufio.Reader, limit int) ([]byte, error) {
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(long)+len(chunk) > limit+1 { // +1: the newline
			return nil, fmt.Errorf("line longer than %d bytes", limit)
		}
		switch {
		case err == nil:
			if long != nil {
				chunk = append(long, chunk...)
			}
			return trimEnd(chunk), nil
		case errors.Is(err, bufio.ErrBufferFull):
			long = append(long, chunk...)
		default:
			if long != nil {
				chunk = append(long, chunk...)
			}
			return trimEnd(chunk), err
		}
	}
}

// trimEnd drops the line ending: every '\r' and '\n' at the end.
func trimEnd(line []byte) []byte {
	for len(line) > 0 && (line[len(line)-1] == '\n' || line[len(line)-1] == '\r') {
		line = line[:len(line)-1]
	}
	return line
}
