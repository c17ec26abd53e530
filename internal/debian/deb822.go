package debian

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
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
// strings.EqualFold; a Field keeps the name as the file spells it.

// Field returns the field of that name (any case).
func (p Paragraph) Field(name string) (Field, bool) {
	for _, f := range p {
		if strings.EqualFold(f.Name, name) {
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

	br    *bufio.Reader
	keep  [][]byte
	line  int
	cur   Paragraph
	field int   // the index in cur of the field continuation lines extend; -1: none
	err   error // sticky: a read error, or io.EOF once the input is consumed
}

// NewReader returns a Reader of r that keeps the fields named in keep (any
// case), or every field when keep is empty.
func NewReader(r io.Reader, keep ...string) *Reader {
	rd := &Reader{br: bufio.NewReaderSize(r, 64<<10), field: -1}
	for _, k := range keep {
		rd.keep = append(rd.keep, []byte(k))
	}
	return rd
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
		if len(bytes.TrimSpace(line)) == 0 {
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
		name = bytes.TrimRight(line[:colon], " \t")
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
		if strings.EqualFold(r.cur[i].Name, f.Name) {
			r.cur[i], r.field = f, i
			return nil
		}
	}
	r.cur = append(r.cur, f)
	r.field = len(r.cur) - 1
	return nil
}

// kept reports whether the field name is kept, and its spelling as a string:
// the keep list's when it is the same, so that the common case allocates none.
func (r *Reader) kept(name []byte) (string, bool) {
	if len(r.keep) == 0 {
		return string(name), true
	}
	for _, k := range r.keep {
		if bytes.EqualFold(k, name) {
			if bytes.Equal(k, name) {
				return string(k), true
			}
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
	if len(p) == 0 {
		return nil
	}
	return p
}

// readLine returns the next line without its line ending. At the end of the
// input it returns the last (possibly empty) line with io.EOF.
func (r *Reader) readLine() ([]byte, error) {
	limit := r.MaxLine
	if limit <= 0 {
		limit = DefaultMaxLine
	}
	r.line++
	var long []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(long)+len(chunk) > limit+1 { // +1: the newline
			return nil, fmt.Errorf("line %d is longer than %d bytes", r.line, limit)
		}
		switch {
		case err == nil:
			if long != nil {
				chunk = append(long, chunk...)
			}
			return bytes.TrimRight(chunk, "\r\n"), nil
		case errors.Is(err, bufio.ErrBufferFull):
			long = append(long, chunk...)
		default:
			if long != nil {
				chunk = append(long, chunk...)
			}
			return bytes.TrimRight(chunk, "\r\n"), err
		}
	}
}
