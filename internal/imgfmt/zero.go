package imgfmt

import "bytes"

// zeroBlock is compared against with bytes.Equal, which is vectorised; a
// hand-written loop is several times slower.
var zeroBlock [64 << 10]byte

// IsZero reports whether b holds only zero bytes.
func IsZero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), len(zeroBlock))
		if !bytes.Equal(b[:n], zeroBlock[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}
