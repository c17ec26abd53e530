package imgtest

import "crypto/rand"

// Pattern is compressible but not trivially so.
func Pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i%251)
	}
	return b
}

// Random is incompressible.
func Random(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// Case is a sparse raw disk every format is tested on.
type Case struct {
	Name   string
	Size   int64
	Writes []Write
}

// Cases are the edge cases of disk layout: empty, tiny, data at the very end,
// sizes that are not a multiple of any block size, data crossing table
// boundaries, incompressible data next to compressible data, written zeros.
func Cases() []Case {
	return []Case{
		{Name: "empty", Size: 1 << 30},
		{Name: "zero-size", Size: 0},
		{Name: "one-byte", Size: 1, Writes: []Write{{Off: 0, Data: []byte{0x5a}}}},
		{Name: "one-byte-in-1GiB", Size: 1 << 30, Writes: []Write{{Off: 123456789, Data: []byte{1}}}},
		{Name: "data-at-end", Size: 3 << 30, Writes: []Write{{Off: 3<<30 - 70000, Data: Pattern(70000, 7)}}},
		{Name: "unaligned-size", Size: 10<<20 + 12345, Writes: []Write{
			{Off: 0, Data: Pattern(4096, 1)},
			{Off: 10<<20 + 12345 - 5000, Data: Pattern(5000, 3)},
		}},
		{Name: "mixed", Size: 1<<30 + 512, Writes: []Write{
			{Off: 512<<20 - 100000, Data: Pattern(300000, 9)}, // crosses a qcow2 L2 boundary (and VMDK GT ones)
			{Off: 700 << 20, Data: Random(200000)},            // incompressible
			{Off: 700<<20 + 200000, Data: Pattern(150000, 5)}, // compressible right after
			{Off: 800 << 20, Data: make([]byte, 1<<20)},       // written zeros: skipped
			{Off: 1 << 30, Data: Random(512)},
		}},
	}
}
