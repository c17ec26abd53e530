package vhd_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt"
	"github.com/kilnhq/kiln/internal/imgfmt/internal/imgtest"
	"github.com/kilnhq/kiln/internal/imgfmt/vhd"
)

func openReader(t testing.TB, path string) *vhd.Reader {
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
	r, err := vhd.Open(f, st.Size())
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return r
}

var subformats = map[string]vhd.Converter{
	"fixed":         {Subformat: vhd.Fixed},
	"fixed-align":   {Subformat: vhd.Fixed, AlignMiB: true},
	"dynamic":       {Subformat: vhd.Dynamic},
	"dynamic-align": {Subformat: vhd.Dynamic, AlignMiB: true},
}

// qemu-img (format vpc, probing would say raw for fixed disks) reads the size
// we declared and the same content as the source; our reader agrees.
func TestConvertQemuOracle(t *testing.T) {
	imgtest.NeedTool(t, "qemu-img")
	for _, d := range imgtest.Cases() {
		for name, c := range subformats {
			t.Run(d.Name+"/"+name, func(t *testing.T) {
				t.Parallel()
				raw := imgtest.SparseDisk(t, d.Size, d.Writes...)
				if d.Size == 0 {
					refused(t, c, raw)
					return
				}
				out := imgtest.ConvertFile(t, c, raw, "disk.vhd", imgfmt.Options{})
				info := imgtest.QemuInfo(t, "vpc", out)
				if want := c.VirtualSize(d.Size); info.VirtualSize != want {
					t.Errorf("qemu-img info: virtual size %d, want %d", info.VirtualSize, want)
				}
				// qemu-img check does not support vpc: compare is the oracle.
				imgtest.QemuImg(t, "compare", "-q", "-f", "raw", "-F", "vpc", raw, out)
				r := openReader(t, out)
				if r.Size() != c.VirtualSize(d.Size) || r.Dynamic() != (c.Subformat == vhd.Dynamic) {
					t.Errorf("reader: size %d dynamic %v", r.Size(), r.Dynamic())
				}
				imgtest.SameContent(t, raw, r, r.Size())
				st, _ := os.Stat(out)
				if c.Subformat == vhd.Fixed && st.Size() != c.VirtualSize(d.Size)+512 {
					t.Errorf("fixed file of %d bytes, want virtual size + 512", st.Size())
				}
			})
		}
	}
}

// The footer fields Azure and Hyper-V look at, byte by byte; a dynamic disk's
// copy at 0 equals its footer; zero blocks are not stored.
func TestFooterFields(t *testing.T) {
	size := int64(10<<20 + 12345)
	raw := imgtest.SparseDisk(t, size, imgtest.Write{Off: 5 << 20, Data: imgtest.Pattern(3000, 1)},
		imgtest.Write{Off: 8 << 20, Data: make([]byte, 2<<20)}) // written zeros
	for name, c := range subformats {
		out := imgtest.ConvertFile(t, c, raw, "d.vhd", imgfmt.Options{})
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		ft := b[len(b)-512:]
		be := binary.BigEndian
		vsize := c.VirtualSize(size)
		if c.AlignMiB && vsize != 11<<20 {
			t.Errorf("%s: aligned size %d", name, vsize)
		}
		checks := []struct {
			what      string
			got, want uint64
		}{
			{"features", uint64(be.Uint32(ft[8:])), 2},
			{"version", uint64(be.Uint32(ft[12:])), 0x00010000},
			{"original size", be.Uint64(ft[40:]), uint64(vsize)},
			{"current size", be.Uint64(ft[48:]), uint64(vsize)},
			{"saved state", uint64(ft[84]), 0},
		}
		if c.Subformat == vhd.Fixed {
			checks = append(checks, struct {
				what      string
				got, want uint64
			}{"data offset", be.Uint64(ft[16:]), 0xFFFFFFFFFFFFFFFF}, struct {
				what      string
				got, want uint64
			}{"disk type", uint64(be.Uint32(ft[60:])), 2})
		} else {
			checks = append(checks, struct {
				what      string
				got, want uint64
			}{"data offset", be.Uint64(ft[16:]), 512}, struct {
				what      string
				got, want uint64
			}{"disk type", uint64(be.Uint32(ft[60:])), 3})
			if !bytes.Equal(b[:512], ft) {
				t.Errorf("%s: footer copy at 0 differs", name)
			}
			// One data block (the one at 4 MiB); the written zeros are skipped.
			if want := int64(1); (int64(len(b))-512)/(2<<20+512) != want {
				t.Errorf("%s: file of %d bytes holds more than %d block", name, len(b), want)
			}
		}
		if string(ft[:8]) != "conectix" {
			t.Errorf("%s: cookie %q", name, ft[:8])
		}
		for _, ck := range checks {
			if ck.got != ck.want {
				t.Errorf("%s: %s = %#x, want %#x", name, ck.what, ck.got, ck.want)
			}
		}
		var sum uint32
		for i, x := range ft {
			if i < 64 || i >= 68 {
				sum += uint32(x)
			}
		}
		if ^sum != be.Uint32(ft[64:]) {
			t.Errorf("%s: checksum %#x, want %#x", name, be.Uint32(ft[64:]), ^sum)
		}
		if ft[68+6]>>4 != 4 {
			t.Errorf("%s: UUID %x is not a version 4 UUID", name, ft[68:84])
		}
	}
}

// Fixed disks stay sparse: the file allocates no more than the source's data.
func TestFixedStaysSparse(t *testing.T) {
	raw := imgtest.SparseDisk(t, 1<<30, imgtest.Write{Off: 100 << 20, Data: imgtest.Pattern(1<<20, 3)})
	out := imgtest.ConvertFile(t, vhd.Converter{Subformat: vhd.Fixed, AlignMiB: true}, raw, "f.vhd", imgfmt.Options{})
	used := imgtest.Allocated(t, out)
	if used > 2<<20 {
		t.Errorf("fixed VHD allocates %d bytes for 1 MiB of data", used)
	}
}

func TestConvertExt4(t *testing.T) {
	imgtest.NeedTool(t, "qemu-img")
	raw := imgtest.Ext4Disk(t, 64<<20, "/usr/share/zoneinfo")
	for name, c := range subformats {
		var last int64
		out := imgtest.ConvertFile(t, c, raw, "e.vhd", imgfmt.Options{Progress: func(done, total int64) { last = done }})
		imgtest.QemuImg(t, "compare", "-q", "-f", "raw", "-F", "vpc", raw, out)
		imgtest.SameContent(t, raw, openReader(t, out), c.VirtualSize(64<<20))
		st, _ := os.Stat(out)
		t.Logf("%s: %d bytes, progress reached %d", name, st.Size(), last)
		if last == 0 {
			t.Errorf("%s: no progress reported", name)
		}
	}
}

func TestCancel(t *testing.T) {
	raw := imgtest.SparseDisk(t, 64<<20, imgtest.Write{Off: 0, Data: imgtest.Pattern(32<<20, 1)})
	src, _ := os.Open(raw)
	defer src.Close()
	for name, c := range subformats {
		dst, _ := os.Create(filepath.Join(t.TempDir(), "c.vhd"))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := c.Convert(ctx, src, dst, imgfmt.Options{}); err == nil {
			t.Errorf("%s: cancelled conversion succeeded", name)
		}
		dst.Close()
	}
}

func TestRefusals(t *testing.T) {
	raw := imgtest.SparseDisk(t, 1<<20)
	src, _ := os.Open(raw)
	defer src.Close()
	dst, _ := os.Create(filepath.Join(t.TempDir(), "x.vhd"))
	defer dst.Close()
	if err := (vhd.Converter{}).Convert(context.Background(), src, dst, imgfmt.Options{Compress: true}); err == nil {
		t.Error("compressed VHD accepted")
	}
	big := imgfmt.Source{R: src, Size: 2041 << 30}
	if err := (vhd.Converter{Subformat: vhd.Dynamic}).Write(context.Background(), big, dst, imgfmt.Options{}); err == nil {
		t.Error("dynamic VHD above 2040 GiB accepted")
	}
}

func refused(t *testing.T, c vhd.Converter, raw string) {
	src, _ := os.Open(raw)
	defer src.Close()
	dst, _ := os.Create(filepath.Join(t.TempDir(), "z.vhd"))
	defer dst.Close()
	if err := c.Convert(context.Background(), src, dst, imgfmt.Options{}); err == nil {
		t.Fatal("zero-size disk accepted")
	}
}
