package vhdx_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/vhdx"
)

func openReader(t testing.TB, path string) *vhdx.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	r, err := vhdx.Open(f, st.Size())
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return r
}

func TestConvertQemuOracle(t *testing.T) {
	imgtest.NeedTool(t, "qemu-img")
	for _, d := range imgtest.Cases() {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			raw := imgtest.SparseDisk(t, d.Size, d.Writes...)
			c := vhdx.Converter{}
			if d.Size == 0 {
				src, _ := os.Open(raw)
				defer src.Close()
				dst, _ := os.Create(filepath.Join(t.TempDir(), "z.vhdx"))
				defer dst.Close()
				if err := c.Convert(context.Background(), src, dst, imgfmt.Options{}); err == nil {
					t.Fatal("zero-size disk accepted")
				}
				return
			}
			out := imgtest.ConvertFile(t, c, raw, "disk.vhdx", imgfmt.Options{})
			info := imgtest.QemuInfo(t, "vhdx", out)
			if want := c.VirtualSize(d.Size); info.VirtualSize != want {
				t.Errorf("qemu-img info: virtual size %d, want %d", info.VirtualSize, want)
			}
			imgtest.QemuCheckAndCompare(t, raw, "vhdx", out)
			r := openReader(t, out)
			imgtest.SameContent(t, raw, r, r.Size())
		})
	}
}

// Layout: regions where the spec wants them, one payload block per block
// with data (written zeros skipped), zero parts of a block left as holes, and
// small blocks work too.
func TestLayout(t *testing.T) {
	imgtest.NeedTool(t, "qemu-img")
	size := int64(100<<20 + 1000)
	raw := imgtest.SparseDisk(t, size, imgtest.Write{Off: 1 << 20, Data: imgtest.Pattern(100, 1)},
		imgtest.Write{Off: 40 << 20, Data: make([]byte, 8<<20)}, // written zeros
		imgtest.Write{Off: size - 1000, Data: imgtest.Pattern(1000, 2)})
	for _, bs := range []int{0, 1, 4, 256} {
		c := vhdx.Converter{BlockSizeMiB: bs}
		out := imgtest.ConvertFile(t, c, raw, "l.vhdx", imgfmt.Options{})
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		le := binary.LittleEndian
		if string(b[:8]) != "vhdxfile" || string(b[64<<10:64<<10+4]) != "head" || string(b[192<<10:192<<10+4]) != "regi" ||
			string(b[2<<20:2<<20+8]) != "metadata" {
			t.Errorf("block %d MiB: signatures missing", bs)
		}
		if bs == 0 {
			bs = 32
		}
		// Two payload blocks (the first and the last; one when a block
		// covers the disk), after the 1 MiB BAT.
		blocks := int64(2)
		if bs == 256 {
			blocks = 1
		}
		if want := int64(4<<20) + blocks*int64(bs)<<20; int64(len(b)) != want {
			t.Errorf("block %d MiB: file of %d bytes, want %d", bs, len(b), want)
		}
		if e := le.Uint64(b[3<<20+8*(1/bs):]); e&7 != 6 || e>>20 != 4 {
			t.Errorf("block %d MiB: BAT[0] = %#x", bs, e)
		}
		if used := imgtest.Allocated(t, out); used > 5<<20 {
			t.Errorf("block %d MiB: %d bytes allocated for 2 KiB of data", bs, used)
		}
		imgtest.QemuCheckAndCompare(t, raw, "vhdx", out)
		r := openReader(t, out)
		imgtest.SameContent(t, raw, r, r.Size())
	}
}

func TestBlockSizeRefused(t *testing.T) {
	raw := imgtest.SparseDisk(t, 1<<20)
	src, _ := os.Open(raw)
	defer src.Close()
	for _, bs := range []int{3, 512, -1} {
		dst, _ := os.Create(filepath.Join(t.TempDir(), "b.vhdx"))
		if err := (vhdx.Converter{BlockSizeMiB: bs}).Convert(context.Background(), src, dst, imgfmt.Options{}); err == nil {
			t.Errorf("block size %d MiB accepted", bs)
		}
		dst.Close()
	}
}

func TestConvertExt4(t *testing.T) {
	imgtest.NeedTool(t, "qemu-img")
	raw := imgtest.Ext4Disk(t, 64<<20, "/usr/share/zoneinfo")
	var last int64
	out := imgtest.ConvertFile(t, vhdx.Converter{}, raw, "e.vhdx", imgfmt.Options{Progress: func(done, total int64) { last = done }})
	imgtest.QemuCheckAndCompare(t, raw, "vhdx", out)
	imgtest.SameContent(t, raw, openReader(t, out), 64<<20)
	if last == 0 {
		t.Error("no progress reported")
	}
}

// Our reader reads what qemu-img writes.
func TestReadsQemuImages(t *testing.T) {
	imgtest.NeedTool(t, "qemu-img")
	raw := imgtest.SparseDisk(t, 9<<20+4096, imgtest.Write{Off: 100, Data: imgtest.Pattern(5000, 2)},
		imgtest.Write{Off: 4<<20 - 10, Data: imgtest.Random(70000)})
	out := filepath.Join(t.TempDir(), "q.vhdx")
	imgtest.QemuImg(t, "convert", "-f", "raw", "-O", "vhdx", raw, out)
	r := openReader(t, out)
	imgtest.SameContent(t, raw, r, r.Size())
}

func TestCancelAndRefusals(t *testing.T) {
	raw := imgtest.SparseDisk(t, 64<<20, imgtest.Write{Off: 0, Data: imgtest.Pattern(32<<20, 1)})
	src, _ := os.Open(raw)
	defer src.Close()
	dst, _ := os.Create(filepath.Join(t.TempDir(), "c.vhdx"))
	defer dst.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (vhdx.Converter{}).Convert(ctx, src, dst, imgfmt.Options{}); err == nil {
		t.Error("cancelled conversion succeeded")
	}
	if err := (vhdx.Converter{}).Convert(context.Background(), src, dst, imgfmt.Options{Compress: true}); err == nil {
		t.Error("compressed VDI accepted")
	}
}
