package upload

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"
)

// drain plays the sender: it takes the chunks in order (slowly, when slow is
// set, so that the writer runs out of buffers) and gives the buffers back.
func drain(w *chunkWriter, slow bool) (data []byte, sizes []int, last bool, err error) {
	for c := range w.full {
		if c.err != nil {
			return data, sizes, false, c.err
		}
		data = append(data, c.data...)
		sizes = append(sizes, len(c.data))
		if c.last {
			return data, sizes, true, nil
		}
		if slow {
			time.Sleep(time.Millisecond)
		}
		w.free <- c.data[:0]
	}
	return data, sizes, false, nil
}

// The chunks carry the stream in order, full but the last; no more buffers
// than the depth exist, however far the writer runs ahead; and what is read
// into space() is taken in place.
func TestChunkWriter(t *testing.T) {
	const size, depth = 1000, 3
	src := make([]byte, 25_000)
	rand.NewChaCha8([32]byte{3}).Read(src)
	w := newChunkWriter(context.Background(), size, depth)
	done := make(chan struct{})
	var got []byte
	var sizes []int
	var last bool
	var err error
	go func() {
		defer close(done)
		got, sizes, last, err = drain(w, true)
	}()
	rng := rand.New(rand.NewPCG(1, 1))
	rest := src
	inPlace := 0
	for len(rest) > 0 {
		n := min(len(rest), 1+rng.IntN(2500))
		if rng.IntN(2) == 0 {
			if _, err := w.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
		} else {
			// As the archiver reads a file: into the chunk's free part.
			sp, err := w.space()
			if err != nil {
				t.Fatal(err)
			}
			n = min(n, len(sp))
			copy(sp, rest[:n])
			before := &w.cur[:cap(w.cur)][0]
			if _, err := w.Write(sp[:n]); err != nil {
				t.Fatal(err)
			}
			if w.cur != nil && &w.cur[:cap(w.cur)][0] == before {
				inPlace++
			}
		}
		rest = rest[n:]
	}
	w.close(nil)
	<-done
	if err != nil || !last {
		t.Fatalf("err %v, last %v", err, last)
	}
	if !bytes.Equal(got, src) {
		t.Fatal("the chunks do not carry the stream")
	}
	for i, n := range sizes[:len(sizes)-1] {
		if n != size {
			t.Fatalf("chunk %d has %d bytes, want %d", i, n, size)
		}
	}
	if w.made > depth {
		t.Errorf("%d buffers made, depth %d", w.made, depth)
	}
	if inPlace == 0 {
		t.Error("no write was taken in place")
	}
}

// A stream that ends on a chunk's boundary still ends with a last chunk; an
// error ends it without one.
func TestChunkWriterEnds(t *testing.T) {
	w := newChunkWriter(context.Background(), 10, 2)
	done := make(chan struct{})
	var sizes []int
	var last bool
	go func() {
		defer close(done)
		_, sizes, last, _ = drain(w, false)
	}()
	w.Write(make([]byte, 20))
	w.close(nil)
	<-done
	if !last || len(sizes) != 3 || sizes[2] != 0 {
		t.Errorf("sizes %v, last %v", sizes, last)
	}

	w = newChunkWriter(context.Background(), 10, 2)
	done = make(chan struct{})
	var err error
	go func() {
		defer close(done)
		_, _, last, err = drain(w, false)
	}()
	w.Write(make([]byte, 15))
	w.close(errors.New("disk on fire"))
	<-done
	if last || err == nil || err.Error() != "disk on fire" {
		t.Errorf("last %v, err %v", last, err)
	}
}

// A writer whose sender is gone is released by the end of its context.
func TestChunkWriterCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := newChunkWriter(ctx, 10, 2)
	errc := make(chan error, 1)
	go func() {
		_, err := w.Write(make([]byte, 100)) // two chunks fill the depth, then it blocks
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Write still blocked after the context ended")
	}
}

// copyContent asks for one byte more than the member needs: the file's end
// is seen without an extra read, and a file that grew by one byte is caught.
func TestCopyContentEnds(t *testing.T) {
	dir := t.TempDir()
	sr, err := openScannedRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	for _, c := range []struct {
		name, content string
		size          int64 // the header's
		buf           int
		want          string
		grew          bool
	}{
		{"exact", "0123456789", 10, 64, "0123456789", false},
		{"buffer multiple", "01234567", 8, 4, "01234567", false},
		{"one byte more", "0123456789x", 10, 64, "0123456789", true},
		{"one byte more, buffer multiple", "01234567x", 8, 4, "01234567", true},
		{"empty", "", 0, 4, "", false},
		{"empty that grew", "x", 0, 4, "", true},
	} {
		os.WriteFile(dir+"/f", []byte(c.content), 0o644)
		f, err := sr.openFile("/f")
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		a := &archiver{ctx: context.Background(), tw: tar.NewWriter(&out), buf: make([]byte, c.buf)}
		a.tw.WriteHeader(&tar.Header{Name: "f", Size: c.size, Mode: 0o644, Typeflag: tar.TypeReg})
		changed, err := a.copyContent(f, c.size)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := a.tw.Close(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m, _ := readTar(t, out.Bytes()); m["f"].content != c.want {
			t.Errorf("%s: content %q, want %q", c.name, m["f"].content, c.want)
		}
		if grew := errors.Is(changed, errGrew); grew != c.grew || (!c.grew && changed != nil) {
			t.Errorf("%s: changed %v, want grew %v", c.name, changed, c.grew)
		}
	}
}

// A failing output stops the archive with every file it had open closed.
func TestWriteOverlayClosesFilesOnError(t *testing.T) {
	r, _, _ := buildOverlayRoot(t)
	for i := range 300 {
		r.Write("/srv/many/f"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)), strings.Repeat("y", 4096))
	}
	before := openFDs(t)
	_, err := WriteOverlay(context.Background(), &failingWriter{after: 300 << 10}, r.Dir, OverlayOptions{All: true})
	if err == nil || !strings.Contains(err.Error(), "pipe closed") {
		t.Fatalf("err = %v", err)
	}
	if after := openFDs(t); after > before {
		t.Errorf("%d descriptors open after the failed archive, %d before", after, before)
	}
}

// openFDs counts this process's open descriptors but sockets (the HTTP
// client keeps its connections).
func openFDs(t *testing.T) int {
	t.Helper()
	names, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	n := 0
	for _, e := range names {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err == nil && !strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n
}
