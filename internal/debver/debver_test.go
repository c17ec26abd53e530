package debver

import "testing"

func TestCompare(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0", "1.1", -1},
		{"1.10", "1.9", 1},
		{"1.0~rc1", "1.0", -1},
		{"1.0~rc1", "1.0~rc2", -1},
		{"1:1.0", "2.0", 1},
		{"1.0-1", "1.0-2", -1},
		{"1.0-1", "1.0", 1},
		{"9.2p1-2+deb12u3", "9.2p1-2+deb12u2", 1},
		{"6.1.0-28", "6.1.0-9", 1},
		{"1.0a", "1.0+", -1},
		{"1.0", "1.0a", -1},
		{"001", "1", 0},
	}
	for _, c := range cases {
		if got := Compare(c.a, c.b); got != c.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Compare(c.b, c.a); got != -c.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}
