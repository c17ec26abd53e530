package imgfmt_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kilnhq/kiln/internal/imgfmt"
)

func sparseFile(t *testing.T, size int64, writes map[int64][]byte) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "d.raw"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	for off, b := range writes {
		if _, err := f.WriteAt(b, off); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func TestExtentsSeekData(t *testing.T) {
	f := sparseFile(t, 64<<20, map[int64][]byte{
		1 << 20:  bytes.Repeat([]byte{1}, 8192),
		40 << 20: bytes.Repeat([]byte{2}, 1<<20),
	})
	exts, err := imgfmt.Extents(f)
	if err != nil {
		t.Fatal(err)
	}
	// Filesystems allocate in blocks (4 KiB on ext4 and tmpfs), so compare the
	// extents aligned to 64 KiB.
	got := imgfmt.AlignExtents(exts, 64<<10, 64<<20)
	want := []imgfmt.Extent{{Offset: 1 << 20, Length: 64 << 10}, {Offset: 40 << 20, Length: 1 << 20}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("extents (-want +got):\n%s", diff)
	}
}

func TestScanExtents(t *testing.T) {
	data := make([]byte, 10*4096+100)
	data[5000] = 1
	data[4096*3] = 1 // block 2 stays zero: two extents
	data[len(data)-1] = 1
	got, err := imgfmt.ScanExtents(bytes.NewReader(data), int64(len(data)), 4096)
	if err != nil {
		t.Fatal(err)
	}
	want := []imgfmt.Extent{{Offset: 4096, Length: 4096}, {Offset: 3 * 4096, Length: 4096}, {Offset: 10 * 4096, Length: 100}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("extents (-want +got):\n%s", diff)
	}
}

func TestAlignExtents(t *testing.T) {
	in := []imgfmt.Extent{{Offset: 10, Length: 5}, {Offset: 100, Length: 1}, {Offset: 300, Length: 10}, {Offset: 1000, Length: 50}}
	got := imgfmt.AlignExtents(in, 128, 1010)
	want := []imgfmt.Extent{{Offset: 0, Length: 128}, {Offset: 256, Length: 128}, {Offset: 896, Length: 114}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("aligned (-want +got):\n%s", diff)
	}
}

func TestChunkReaderPadsTail(t *testing.T) {
	data := bytes.Repeat([]byte{7}, 1000)
	cr := imgfmt.NewChunkReader(bytes.NewReader(data), 1000, []imgfmt.Extent{{Offset: 0, Length: 1000}}, 512)
	buf := make([]byte, 512)
	var chunks []imgfmt.Chunk
	for {
		c, err := cr.Next(buf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Data) != 512 {
			t.Fatalf("chunk of %d bytes", len(c.Data))
		}
		chunks = append(chunks, imgfmt.Chunk{Off: c.Off, Read: c.Read, Data: bytes.Clone(c.Data)})
	}
	if len(chunks) != 2 || chunks[1].Off != 512 || chunks[1].Read != 488 || !imgfmt.IsZero(chunks[1].Data[488:]) || chunks[1].Data[487] != 7 {
		t.Fatalf("chunks %+v", chunks)
	}
	if cr.Total() != 1000 {
		t.Fatalf("total %d", cr.Total())
	}
}

// A failing worker or sink stops the pipeline with its error and leaves no
// goroutine behind; results arrive in order whatever the worker timing.
func TestPipelineOrderAndErrors(t *testing.T) {
	const block = 512
	data := make([]byte, 200*block)
	for i := range data {
		data[i] = byte(i / block)
	}
	run := func(failAt int64, workers int) ([]int64, error) {
		cr := imgfmt.NewChunkReader(bytes.NewReader(data), int64(len(data)), []imgfmt.Extent{{Offset: 0, Length: int64(len(data))}}, block)
		var offs []int64
		p := &imgfmt.Pipeline{
			Reader: cr, BlockSize: block, ChunkSize: 2 * block, Workers: workers,
			NewWorker: func() (func(*imgfmt.Batch) error, error) {
				return func(b *imgfmt.Batch) error {
					if b.Off == failAt {
						return errors.New("boom")
					}
					imgfmt.DetectZero(b, block)
					return nil
				}, nil
			},
			Sink: func(b *imgfmt.Batch) error {
				if b.Data[0] != byte(b.Off/block) {
					return errors.New("batch data does not match its offset")
				}
				offs = append(offs, b.Off)
				return nil
			},
		}
		return offs, p.Run(context.Background())
	}
	offs, err := run(-1, 3)
	if err != nil || len(offs) != 100 {
		t.Fatalf("run: %d batches, %v", len(offs), err)
	}
	for i, o := range offs {
		if o != int64(i)*2*block {
			t.Fatalf("batch %d at offset %d: out of order", i, o)
		}
	}
	offs, err = run(50*2*block, 2)
	if err == nil || err.Error() != "boom" || len(offs) != 50 {
		t.Fatalf("failing worker: %d batches, %v", len(offs), err)
	}
}
