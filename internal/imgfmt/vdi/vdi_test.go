package vdi_test

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/vdi"
)

func openReader(t testing.TB, path string) *vdi.Reader {
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
	r, err := vdi.Open(f, st.Size())
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
			c := vdi.Converter{}
			if d.Size == 0 {
				src, _ := os.Open(raw)
				defer src.Close()
				dst, _ := os.Create(filepath.Join(t.TempDir(), "z.vdi"))
				defer dst.Close()
				if err := c.Convert(context.Background(), src, dst, imgfmt.Options{}); err == nil {
					t.Fatal("zero-size disk accepted")
				}
				return
			}
			out := imgtest.ConvertFile(t, c, raw, "disk.vdi", imgfmt.Options{})
			info := imgtest.QemuInfo(t, "vdi", out)
			if want := c.VirtualSize(d.Size); info.VirtualSize != want {
				t.Errorf("qemu-img info: virtual size %d, want %d", info.VirtualSize, want)
			}
			imgtest.QemuCheckAndCompare(t, raw, "vdi", out)
			r := openReader(t, out)
			imgtest.SameContent(t, raw, r, r.Size())
		})
	}
}

// Header fields and layout: block map and data on MiB boundaries, only
// non-zero blocks stored, the allocated count right.
func TestLayout(t *testing.T) {
	raw := imgtest.SparseDisk(t, 5<<20+1000, imgtest.Write{Off: 1 << 20, Data: imgtest.Pattern(100, 1)},
		imgtest.Write{Off: 3 << 20, Data: make([]byte, 1<<20)}, // written zeros
		imgtest.Write{Off: 5 << 20, Data: imgtest.Pattern(1000, 2)})
	out := imgtest.ConvertFile(t, vdi.Converter{}, raw, "l.vdi", imgfmt.Options{})
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if string(b[:40]) != "<<< Oracle VM VirtualBox Disk Image >>>\n" {
		t.Errorf("pre-header %q", b[:40])
	}
	for _, c := range []struct {
		what      string
		got, want uint64
	}{
		{"signature", uint64(le.Uint32(b[64:])), 0xbeda107f},
		{"version", uint64(le.Uint32(b[68:])), 0x00010001},
		{"header size", uint64(le.Uint32(b[72:])), 400},
		{"type", uint64(le.Uint32(b[76:])), 1},
		{"block map offset", uint64(le.Uint32(b[340:])), 1 << 20},
		{"data offset", uint64(le.Uint32(b[344:])), 2 << 20},
		{"sector size", uint64(le.Uint32(b[360:])), 512},
		{"disk size", le.Uint64(b[368:]), 5<<20 + 1024},
		{"block size", uint64(le.Uint32(b[376:])), 1 << 20},
		{"blocks", uint64(le.Uint32(b[384:])), 6},
		{"allocated", uint64(le.Uint32(b[388:])), 2},
		{"file size", uint64(len(b)), 4 << 20},
		{"map[0]", uint64(le.Uint32(b[1<<20:])), 0xFFFFFFFF},
		{"map[1]", uint64(le.Uint32(b[1<<20+4:])), 0},
		{"map[3]", uint64(le.Uint32(b[1<<20+12:])), 0xFFFFFFFF},
		{"map[5]", uint64(le.Uint32(b[1<<20+20:])), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.what, c.got, c.want)
		}
	}
}

func TestConvertExt4(t *testing.T) {
	imgtest.NeedTool(t, "qemu-img")
	raw := imgtest.Ext4Disk(t, 64<<20, "/usr/share/zoneinfo")
	var last int64
	out := imgtest.ConvertFile(t, vdi.Converter{}, raw, "e.vdi", imgfmt.Options{Progress: func(done, total int64) { last = done }})
	imgtest.QemuCheckAndCompare(t, raw, "vdi", out)
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
	out := filepath.Join(t.TempDir(), "q.vdi")
	imgtest.QemuImg(t, "convert", "-f", "raw", "-O", "vdi", raw, out)
	r := openReader(t, out)
	imgtest.SameContent(t, raw, r, r.Size())
}

func TestCancelAndRefusals(t *testing.T) {
	raw := imgtest.SparseDisk(t, 64<<20, imgtest.Write{Off: 0, Data: imgtest.Pattern(32<<20, 1)})
	src, _ := os.Open(raw)
	defer src.Close()
	dst, _ := os.Create(filepath.Join(t.TempDir(), "c.vdi"))
	defer dst.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (vdi.Converter{}).Convert(ctx, src, dst, imgfmt.Options{}); err == nil {
		t.Error("cancelled conversion succeeded")
	}
	if err := (vdi.Converter{}).Convert(context.Background(), src, dst, imgfmt.Options{Compress: true}); err == nil {
		t.Error("compressed VDI accepted")
	}
}
