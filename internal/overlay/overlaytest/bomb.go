// Package overlaytest is test support for overlay archives: hostile ones
// that are costly to make by hand. Only tests import it.
package overlaytest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"testing"
)

// ZeroBomb is a gzip stream of a tar whose one file, var/lib/zeros, holds
// size bytes of zeros: about size/1000 bytes long, made of repeated gzip
// members (readers take concatenated members as one stream) so that making
// it costs little whatever size is.
func ZeroBomb(t testing.TB, size int64) []byte {
	t.Helper()
	const piece = 16 << 20
	member := func(b []byte) []byte {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := zw.Write(b); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	var hdr bytes.Buffer
	if err := tar.NewWriter(&hdr).WriteHeader(&tar.Header{Name: "var/lib/zeros", Typeflag: tar.TypeReg, Mode: 0o644,
		Size: size, Format: tar.FormatUSTAR}); err != nil {
		t.Fatal(err)
	}
	out := bytes.NewBuffer(member(hdr.Bytes()))
	zeros := member(make([]byte, piece))
	for range size / piece {
		out.Write(zeros)
	}
	// The rest of the file, its padding to a 512-byte block, and the two
	// zero blocks that end the archive.
	rest := size % piece
	out.Write(member(make([]byte, rest+(512-size%512)%512+2*512)))
	return out.Bytes()
}
