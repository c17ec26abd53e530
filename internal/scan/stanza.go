package scan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxLine bounds one line of a dpkg database file. Real lines are short; the bound
// only keeps a corrupt file from exhausting memory.
const maxLine = 1 << 20

// stanza is one paragraph of a deb822 file (dpkg status, apt extended_states),
// holding only the fields the reader was asked to keep. A continuation field
// (Conffiles) holds its lines joined by "\n", the empty first line dropped.
type stanza map[string]string

// readStanzas streams the paragraphs of r to fn, one at a time: memory is one
// paragraph's kept fields, whatever the size of the file. Field names match
// case-insensitively, as dpkg's do; a stanza is passed with canonical names (as
// given in keep).
func readStanzas(ctx context.Context, r io.Reader, keep []string, fn func(stanza) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	cur := stanza{}
	field := "" // the kept field the following continuation lines belong to
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		err := fn(cur)
		cur = stanza{}
		return err
	}
	for n := 0; ; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if len(line) == 0 && errors.Is(err, io.EOF) {
			return flush()
		}
		switch {
		case len(bytes.TrimSpace(line)) == 0:
			field = ""
			if ferr := flush(); ferr != nil {
				return ferr
			}
		case line[0] == ' ' || line[0] == '\t':
			if field == "" {
				break
			}
			v := string(bytes.TrimSpace(line))
			if cur[field] == "" {
				cur[field] = v
			} else {
				cur[field] += "\n" + v
			}
		case line[0] == '#':
			// comments are allowed in deb822 files other than status
		default:
			field = ""
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 {
				break // not a field: ignore rather than fail the whole scan
			}
			name := string(line[:colon])
			for _, k := range keep {
				if strings.EqualFold(k, name) {
					field = k
					cur[k] = string(bytes.TrimSpace(line[colon+1:]))
					break
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return flush()
		}
	}
}

// readLine returns the next line without its newline. At the end of the input it
// returns the last (possibly empty) line with io.EOF.
func readLine(br *bufio.Reader) ([]byte, error) {
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(long)+len(chunk) > maxLine+1 { // +1: the newline
			return nil, fmt.Errorf("line longer than %d bytes", maxLine)
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
