package vhd

import "testing"

// Values worked out by hand from the specification's algorithm, and the
// geometry Hyper-V reports for a 1 GiB disk.
func TestGeometry(t *testing.T) {
	for _, c := range []struct {
		size      uint64
		cyl       uint16
		heads, sp uint8
	}{
		{10 << 20, 301, 4, 17},
		{1 << 30, 2080, 16, 63},
		{127 << 30, 65278, 16, 255},
		{2040 << 30, 65535, 16, 255},
		{0, 0, 4, 17},
	} {
		cyl, h, s := geometry(c.size)
		if cyl != c.cyl || h != c.heads || s != c.sp {
			t.Errorf("geometry(%d) = %d/%d/%d, want %d/%d/%d", c.size, cyl, h, s, c.cyl, c.heads, c.sp)
		}
	}
}
