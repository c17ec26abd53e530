package scan

import (
	"context"
	"errors"
	"io"

	"github.com/kilnhq/kiln/internal/debian"
)

// maxLine bounds one line of a dpkg database file. Real lines are short; the bound
// only keeps a corrupt file from exhausting memory.
const maxLine = 1 << 20

// readParagraphs streams the paragraphs of a deb822 file (dpkg status, apt
// extended_states) to fn, one at a time, holding only the fields named in keep
// (in any case, as debian.Reader matches them). The scanned machine is
// arbitrary input: a malformed line is skipped rather than failing the scan.
// fn must not keep the paragraph itself (its strings it may): the next one
// reuses its array.
func readParagraphs(ctx context.Context, r io.Reader, keep []string, fn func(debian.Paragraph) error) error {
	rd := debian.NewReader(r, keep...)
	rd.MaxLine, rd.ReuseParagraph = maxLine, true
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := rd.Next()
		if _, bad := errors.AsType[*debian.SyntaxError](err); bad {
			continue
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
}
