package overlay

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostileCase is an archive both Check and Apply must refuse.
type hostileCase struct {
	name string
	lim  Limits
	// data is the archive; stream, when set, makes an unbounded one instead.
	data   func(t testing.TB, s sandbox) []byte
	stream func(t testing.TB) io.Reader
}

func members(ms ...member) func(testing.TB, sandbox) []byte {
	return func(t testing.TB, _ sandbox) []byte { return tarOf(t, ms...) }
}

func hostileCases() []hostileCase {
	small := Limits{MaxBytes: 64 << 10, MaxEntries: 3, MaxFileBytes: 16 << 10}
	return []hostileCase{
		{name: "absolute name", data: members(reg("/etc/x", "x", 0o644))},
		{name: "dotdot", data: members(reg("../x", "x", 0o644))},
		{name: "dotdot climbing", data: members(reg("a/../../x", "x", 0o644))},
		{name: "dotdot staying inside", data: members(reg("a/../b", "x", 0o644))},
		{name: "dotdot directory", data: members(dirm("a/../../", 0o755))},
		{name: "empty name", data: members(reg("", "x", 0o644))},
		{name: "root as a file", data: members(reg(".", "x", 0o644))},
		{name: "root spelled oddly", data: members(dirm("./.", 0o755))},
		{name: "trailing slash on a file", data: raw(rawMember(nil, "etc/x/", tar.TypeReg, "x"))},
		{name: "name too long", data: members(reg(strings.Repeat("a/", 2100)+"x", "x", 0o644))},
		{name: "component too long", data: members(reg(strings.Repeat("a", 256), "x", 0o644))},
		{name: "symlink then write through it", data: func(t testing.TB, s sandbox) []byte {
			return tarOf(t, link("etc/evil", s.sentinel), reg("etc/evil/file", "x", 0o644))
		}},
		{name: "symlink then directory through it", data: members(link("etc/evil", "/"), dirm("etc/evil/sub/", 0o755))},
		{name: "symlink then deep write through it", data: func(t testing.TB, s sandbox) []byte {
			return tarOf(t, link("evil", s.base), reg("evil/sentinel/a/b", "x", 0o644))
		}},
		{name: "relative symlink then write through it", data: members(link("up", "../../.."), reg("up/x", "x", 0o644))},
		{name: "symlink without target", data: members(link("l", ""))},
		{name: "hard link to the host's shadow", data: members(hard("etc/copy", "/etc/shadow"))},
		{name: "hard link to a path not in the archive", data: members(hard("etc/copy", "etc/shadow"))},
		{name: "hard link climbing", data: members(reg("a", "x", 0o644), hard("b", "x/../../etc/shadow"))},
		{name: "hard link to a later file", data: members(hard("h", "f"), reg("f", "x", 0o644))},
		{name: "hard link to a directory", data: members(dirm("d/", 0o755), hard("h", "d"))},
		{name: "hard link to a symlink", data: members(link("s", "/etc/shadow"), hard("h", "s"))},
		{name: "hard link through a symlink", data: members(reg("etc/x", "x", 0o644), link("s", "etc"), hard("h", "s/x"))},
		{name: "hard link through a later symlink", data: members(reg("p/x", "x", 0o644), link("p2", "/"), dirm("q/", 0o755), hard("h", "p2/x"))},
		{name: "character device", data: members(member{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "dev/mem", Devmajor: 1, Devminor: 1, Mode: 0o666}})},
		{name: "block device", data: members(member{hdr: tar.Header{Typeflag: tar.TypeBlock, Name: "sda", Devmajor: 8, Mode: 0o660}})},
		{name: "contiguous file", data: members(member{hdr: tar.Header{Typeflag: tar.TypeCont, Name: "c", Mode: 0o644}})},
		{name: "duplicate path", data: members(reg("etc/x", "a", 0o644), reg("etc/x", "b", 0o644))},
		{name: "duplicate spelled differently", data: members(reg("etc/x", "a", 0o644), link("./etc//x", "/etc/shadow"))},
		{name: "duplicate directory", data: members(dirm("etc/", 0o755), dirm("./etc", 0o700))},
		{name: "duplicate root", data: members(dirm("./", 0o755), dirm(".", 0o700))},
		{name: "parent is a file", data: members(reg("a", "x", 0o644), reg("a/b", "y", 0o644))},
		{name: "parent is a pipe", data: members(fifom("p", 0o644), reg("p/b", "y", 0o644))},
		{name: "owner out of range", data: raw(rawMember([]string{"uid", "4294967295"}, "x", tar.TypeReg, "x"))},
		{name: "negative owner", data: raw(rawMember([]string{"gid", "-1"}, "x", tar.TypeReg, "x"))},
		{name: "malformed capability", data: members(withPAX(reg("x", "x", 0o755), "SCHILY.xattr.security.capability", "\x01\x00\x00\x01abcdefgh"))},
		{name: "attribute too large", data: members(withPAX(reg("x", "x", 0o644), "SCHILY.xattr.user.big", strings.Repeat("v", 70<<10)))},
		{name: "sparse file", data: raw(rawMember([]string{"GNU.sparse.major", "1", "GNU.sparse.minor", "0",
			"GNU.sparse.name", "s", "GNU.sparse.realsize", "1099511627776"}, "s", tar.TypeReg, "1\n0\n512\n"+string(make([]byte, 506))+"x"))},
		{name: "old GNU sparse file", data: raw(rawMember(nil, "s", tar.TypeGNUSparse, ""))},
		{name: "PAX global header", data: members(member{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader,
			PAXRecords: map[string]string{"path": "../escape"}}}, reg("x", "x", 0o644))},
		{name: "too many members", lim: small, data: members(reg("a", "", 0o644), reg("b", "", 0o644), reg("c", "", 0o644), reg("d", "", 0o644))},
		{name: "file over its limit", lim: small, data: members(reg("big", strings.Repeat("x", 16<<10+1), 0o644))},
		{name: "archive over its limit", lim: Limits{MaxBytes: 40 << 10}, data: members(reg("a", strings.Repeat("x", 15<<10), 0o644),
			reg("b", strings.Repeat("x", 15<<10), 0o644), reg("c", strings.Repeat("x", 15<<10), 0o644))},
		{name: "header larger than the archive limit", lim: Limits{MaxBytes: 64 << 10}, data: func(t testing.TB, _ sandbox) []byte {
			return lieSize(t, tarOf(t, reg("x", "x", 0o644)), 1<<30)
		}},
		{name: "header larger than its content", data: func(t testing.TB, _ sandbox) []byte {
			b := tarOf(t, reg("x", strings.Repeat("x", 1000), 0o644))
			return lieSize(t, b, 1<<20)
		}},
		{name: "header smaller than its content", data: func(t testing.TB, _ sandbox) []byte {
			b := tarOf(t, reg("x", strings.Repeat("x", 5000), 0o644))
			return lieSize(t, b, 10)
		}},
		{name: "truncated between members", data: func(t testing.TB, _ sandbox) []byte {
			b := tarOf(t, reg("x", "x", 0o644), reg("y", "y", 0o644))
			return b[:len(b)-endMarker]
		}},
		{name: "truncated after a zero-filled file", data: func(t testing.TB, _ sandbox) []byte {
			b := tarOf(t, reg("x", string(make([]byte, 4096)), 0o644))
			return b[:len(b)-endMarker]
		}},
		{name: "one zero block only", data: func(t testing.TB, _ sandbox) []byte {
			b := tarOf(t, reg("x", "x", 0o644))
			return b[:len(b)-512]
		}},
		{name: "truncated in a file", data: func(t testing.TB, _ sandbox) []byte {
			b := tarOf(t, reg("x", strings.Repeat("x", 5000), 0o644))
			return b[:2048]
		}},
		{name: "data after the end", data: func(t testing.TB, _ sandbox) []byte {
			return append(tarOf(t, reg("x", "x", 0o644)), tarOf(t, reg("/etc/shadow", "x", 0o644))...)
		}},
		{name: "not a tar", data: func(testing.TB, sandbox) []byte { return []byte(strings.Repeat("hello, world\n", 100)) }},
		{name: "empty stream", data: func(testing.TB, sandbox) []byte { return nil }},
		{name: "xz", data: func(testing.TB, sandbox) []byte { return []byte("\xfd7zXZ\x00\x00\x04") }},
		{name: "corrupt gzip", data: func(t testing.TB, _ sandbox) []byte {
			gz := gzipOf(t, tarOf(t, reg("x", strings.Repeat("x", 5000), 0o644)))
			gz[len(gz)-6] ^= 0xff // the CRC
			return gz
		}},
		{name: "gzip bomb", lim: Limits{MaxBytes: 4 << 20}, data: func(t testing.TB, _ sandbox) []byte {
			var members []member
			for i := range 6 {
				members = append(members, reg(strings.Repeat("f", i+1), string(make([]byte, 1<<20)), 0o644))
			}
			return gzipOf(t, tarOf(t, members...))
		}},
		{name: "gzip of endless padding", data: func(t testing.TB, _ sandbox) []byte {
			return gzipOf(t, append(tarOf(t, reg("x", "x", 0o644)), make([]byte, 4<<20)...))
		}},
		{name: "endless zeros", stream: func(testing.TB) io.Reader { return zeros{} }},
		{name: "endless members", lim: Limits{MaxBytes: 1 << 20}, stream: func(t testing.TB) io.Reader { return endless(t) }},
		{name: "endless members, entry limit", lim: Limits{MaxEntries: 1000}, stream: func(t testing.TB) io.Reader { return endless(t) }},
	}
}

func raw(parts ...[]byte) func(testing.TB, sandbox) []byte {
	return func(testing.TB, sandbox) []byte {
		return append(bytes.Join(parts, nil), make([]byte, endMarker)...)
	}
}

// rawMember writes a member by hand, for what archive/tar refuses to
// write: its PAX records (key, value pairs) in an extended header, then a
// USTAR header and the body.
func rawMember(pax []string, name string, typ byte, body string) []byte {
	var out []byte
	if pax != nil {
		var recs string
		for i := 0; i+1 < len(pax); i += 2 {
			rec := " " + pax[i] + "=" + pax[i+1] + "\n"
			n := len(rec) + 1
			for len(octalDec(n))+len(rec) != n {
				n++
			}
			recs += octalDec(n) + rec
		}
		out = append(out, rawBlock("PaxHeaders/"+name, tar.TypeXHeader, recs)...)
	}
	return append(out, rawBlock(name, typ, body)...)
}

func octalDec(n int) string { return strconv.Itoa(n) }

// rawBlock is a USTAR header and its padded body.
func rawBlock(name string, typ byte, body string) []byte {
	h := make([]byte, 512)
	copy(h[0:100], name)
	copy(h[100:108], "0000644\x00")
	copy(h[108:116], "0000000\x00")
	copy(h[116:124], "0000000\x00")
	copy(h[124:136], octal(int64(len(body)), 11)+"\x00")
	copy(h[136:148], octal(mtime.Unix(), 11)+"\x00")
	h[156] = typ
	copy(h[257:265], "ustar\x0000")
	copy(h[148:156], "        ")
	var sum int64
	for _, c := range h {
		sum += int64(c)
	}
	copy(h[148:156], octal(sum, 6)+"\x00 ")
	padded := make([]byte, (len(body)+511)/512*512)
	copy(padded, body)
	return append(h, padded...)
}

// lieSize rewrites the size field of the first member (after its PAX
// header, if any) and its checksum.
func lieSize(t testing.TB, b []byte, size int64) []byte {
	t.Helper()
	out := bytes.Clone(b)
	off := 0
	if out[156] == tar.TypeXHeader {
		n := parseOctal(out[124:136])
		off = 512 + int((n+511)/512*512)
	}
	h := out[off : off+512]
	copy(h[124:136], []byte(octal(size, 11)+"\x00"))
	copy(h[148:156], "        ")
	var sum int64
	for _, c := range h {
		sum += int64(c)
	}
	copy(h[148:156], []byte(octal(sum, 6)+"\x00 "))
	return out
}

func octal(v int64, width int) string {
	s := ""
	for ; v > 0; v /= 8 {
		s = string(rune('0'+v%8)) + s
	}
	return strings.Repeat("0", width-len(s)) + s
}

func parseOctal(b []byte) int64 {
	var v int64
	for _, c := range b {
		if c >= '0' && c <= '7' {
			v = v*8 + int64(c-'0')
		}
	}
	return v
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// endless streams valid members forever.
func endless(t testing.TB) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		for i := 0; ; i++ {
			name := strings.Repeat("d/", i%10) + "f" + strings.Repeat("x", i%200) + string(rune('a'+i%26)) + "-" + octal(int64(i), 12)
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: 100, Mode: 0o644, Format: tar.FormatPAX}); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := tw.Write(make([]byte, 100)); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	t.Cleanup(func() { pr.Close() })
	return pr
}

func (c hostileCase) reader(t testing.TB, s sandbox) io.Reader {
	if c.stream != nil {
		return c.stream(t)
	}
	return bytes.NewReader(c.data(t, s))
}

func TestHostileCheck(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			s := newSandbox(t)
			start := time.Now()
			_, err := Check(context.Background(), c.reader(t, s), c.lim, nil)
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("Check: err = %v, want ErrRejected", err)
			}
			t.Logf("%v (%v)", err, time.Since(start).Round(time.Millisecond))
		})
	}
}

func TestHostileApply(t *testing.T) {
	requireRoot(t)
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			s := newSandbox(t)
			s.mergedUsr(t)
			s.write(t, "etc/shadow", "root:*:19000:0:99999:7:::\n")
			_, err := Apply(context.Background(), c.reader(t, s), s.root, ApplyOptions{Limits: c.lim})
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("Apply: err = %v, want ErrRejected", err)
			}
			s.contained(t)
			if got := s.read(t, "etc/shadow"); got != "root:*:19000:0:99999:7:::\n" {
				t.Errorf("the tree's shadow changed: %q", got)
			}
		})
	}
}
