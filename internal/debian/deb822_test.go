package debian

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// readAll reads every paragraph of in, skipping malformed lines, and returns
// them with the syntax errors met.
func readAll(t *testing.T, rd *Reader) ([]Paragraph, []*SyntaxError) {
	t.Helper()
	var ps []Paragraph
	var bad []*SyntaxError
	for {
		p, err := rd.Next()
		if serr, ok := errors.AsType[*SyntaxError](err); ok {
			bad = append(bad, serr)
			continue
		}
		if errors.Is(err, io.EOF) {
			return ps, bad
		}
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
}

func TestReaderKeptFields(t *testing.T) {
	in := "Package: a\nStatus: install ok installed\nConffiles:\n /etc/a 0123\n /etc/b 4567 obsolete\nDescription: x\n long\n\n\n" +
		"package: b\r\nVERSION: 1\r\n\r\n" +
		"Package: c\nDepends: " + strings.Repeat("x", 200<<10) + "\n" + // longer than the reader's buffer
		"\nDescription: no kept field: skipped\n"
	got, bad := readAll(t, NewReader(strings.NewReader(in), "Package", "Status", "Conffiles", "Version"))
	want := []Paragraph{
		{{"Package", "a", 1}, {"Status", "install ok installed", 2}, {"Conffiles", "/etc/a 0123\n/etc/b 4567 obsolete", 3}},
		{{"package", "b", 10}, {"VERSION", "1", 11}},
		{{"Package", "c", 13}},
	}
	if diff := cmp.Diff(want, got); diff != "" || bad != nil {
		t.Errorf("(-want +got):\n%s\nsyntax errors %v", diff, bad)
	}
	if got[1].Get("Package") != "b" || got[1].Get("version") != "1" || got[0].Get("Version") != "" {
		t.Error("Get does not compare names case-insensitively")
	}
}

func TestReaderEveryField(t *testing.T) {
	// A file ending on a line of blanks without its newline, with CRLF line
	// ends, runs of blank (and blank-looking) lines, comments, a repeated field.
	in := "\n\nPackage: a\nVersion: 1\r\n\n \t\n\n# comment\nPackage: b\nDescription: d\n# inside\n more\nVersion: 1\nversion: 2\n  "
	got, bad := readAll(t, NewReader(strings.NewReader(in)))
	want := []Paragraph{
		{{"Package", "a", 3}, {"Version", "1", 4}},
		{{"Package", "b", 9}, {"Description", "d\nmore", 10}, {"version", "2", 14}},
	}
	if diff := cmp.Diff(want, got); diff != "" || bad != nil {
		t.Errorf("(-want +got):\n%s\nsyntax errors %v", diff, bad)
	}
}

func TestReaderSyntaxErrors(t *testing.T) {
	in := "Package: a\ngarbage\n indented after garbage: dropped\nVersion: 1\n: no name\n\nPackage: b\n"
	rd := NewReader(strings.NewReader(in))
	got, bad := readAll(t, rd)
	want := []Paragraph{{{"Package", "a", 1}, {"Version", "1", 4}}, {{"Package", "b", 7}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the paragraphs around malformed lines (-want +got):\n%s", diff)
	}
	if len(bad) != 2 || bad[0].Line != 2 || bad[1].Line != 5 || bad[0].Error() != `line 2: no field name in "garbage"` {
		t.Errorf("syntax errors %v", bad)
	}
	long := strings.Repeat("y", 100)
	_, err := NewReader(strings.NewReader(long + "\n")).Next()
	if serr, ok := errors.AsType[*SyntaxError](err); !ok || serr.Text != long[:80]+"…" {
		t.Errorf("long malformed line: %v", err)
	}
}

func TestReaderMaxLine(t *testing.T) {
	rd := NewReader(strings.NewReader("Package: d\nDepends: "+strings.Repeat("x", 1<<20+10)+"\n"), "Package")
	rd.MaxLine = 1 << 20
	if _, err := rd.Next(); err == nil || !strings.Contains(err.Error(), "line 2: line longer than 1048576 bytes") {
		t.Errorf("a line over the limit: err = %v", err)
	}
	if _, err := rd.Next(); err == nil || errors.Is(err, io.EOF) {
		t.Errorf("the error is not sticky: %v", err)
	}
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	rd := NewReader(io.MultiReader(strings.NewReader("Package: a\n"), errReader{boom}))
	if p, err := rd.Next(); !errors.Is(err, boom) || p != nil {
		t.Errorf("Next = %v, %v; want the read error", p, err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

func TestReaderReuseParagraph(t *testing.T) {
	rd := NewReader(strings.NewReader("A: 1\nB: 2\n\nA: 3\n\nB: 4\nA: 5\n"), "A")
	rd.ReuseParagraph = true
	var got []string
	var first Paragraph
	for {
		p, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = p
		}
		got = append(got, p.Get("a"))
	}
	if !slices.Equal(got, []string{"1", "3", "5"}) || first.Get("A") != "5" {
		t.Errorf("values %v; first paragraph now %v (its array is reused)", got, first)
	}
}
