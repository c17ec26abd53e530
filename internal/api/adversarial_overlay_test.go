package api_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/store"
)

// hostileOverlay is an archive a scanned machine might send, and the member
// the refusal must name.
type hostileOverlay struct {
	name    string
	archive []byte
	member  string
	chunked bool // sent in two chunks, the hostile member in the last
}

func hostileOverlays(t *testing.T) []hostileOverlay {
	file := func(name string) tarEntry { return tarEntry{hdr: tar.Header{Name: name}, body: "pwned\n"} }
	dotdot := makeTar(t, file("etc/../../escape"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(dotdot)
	_ = zw.Close()
	padding := tarEntry{hdr: tar.Header{Name: "opt/padding"}, body: strings.Repeat("p", 8<<10)}
	return []hostileOverlay{
		{name: "dot-dot", archive: makeTar(t, file("../escape")), member: "../escape"},
		{name: "dot-dot inside a path", archive: dotdot, member: "etc/../../escape"},
		{name: "dot-dot in a gzip", archive: gz.Bytes(), member: "etc/../../escape"},
		{name: "absolute path", archive: makeTar(t, file("/etc/cron.d/pwned")), member: "/etc/cron.d/pwned"},
		{name: "block device", archive: makeTar(t, tarEntry{hdr: tar.Header{Name: "dev/sda", Typeflag: tar.TypeBlock, Devmajor: 8}}), member: "dev/sda"},
		{name: "character device", archive: makeTar(t, tarEntry{hdr: tar.Header{Name: "dev/mem", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 1}}), member: "dev/mem"},
		{name: "symlink then a file through it", archive: makeTar(t,
			tarEntry{hdr: tar.Header{Name: "etc/evil", Typeflag: tar.TypeSymlink, Linkname: "/root"}},
			file("etc/evil/.ssh/authorized_keys")), member: "etc/evil/.ssh/authorized_keys"},
		{name: "hard link to the host", archive: makeTar(t, tarEntry{hdr: tar.Header{Name: "etc/shadow-copy", Typeflag: tar.TypeLink, Linkname: "/etc/shadow"}}),
			member: "etc/shadow-copy"},
		{name: "hard link climbing", archive: makeTar(t, file("etc/a"), tarEntry{hdr: tar.Header{Name: "etc/b", Typeflag: tar.TypeLink, Linkname: "etc/../../etc/shadow"}}),
			member: "etc/b"},
		{name: "dot-dot in the last chunk", archive: makeTar(t, padding, file("../../escape")), member: "../../escape", chunked: true},
	}
}

// TestAdversarialOverlays uploads hostile overlays through the API: 400
// naming the member, the scan in error with the same reason, the upload
// discarded, nothing stored as an artifact and nothing written anywhere
// beside the data directory.
func TestAdversarialOverlays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := e.createUser("alice", "alice-pw", tenantRoles...)
	root := filepath.Dir(e.dir) // the test's own temporary directory: the data directory and its neighbours
	uploads := filepath.Join(filepath.Base(e.dir), "uploads")
	for i, h := range hostileOverlays(t) {
		t.Run(h.name, func(t *testing.T) {
			c := alice.in(t)
			scanPath := newScan(t, c, "box-"+strconv.Itoa(i))
			disk := diskState(t, root, uploads)
			if h.chunked {
				half := len(h.archive) / 2
				c.doRaw("POST", scanPath+"/overlay?offset=0", string(h.archive[:half]), octets).expect(201)
				c.doRaw("POST", scanPath+"/overlay?complete=true&offset="+strconv.Itoa(half), string(h.archive[half:]), octets).
					uforgeError(400, h.member).has("rejected")
			} else {
				c.doRaw("POST", scanPath+"/overlay", string(h.archive), octets).uforgeError(400, h.member).has("rejected")
			}
			c.do("GET", scanPath, "").expect(200).has("<error>true</error>", "<errorMessage>", h.member)
			sc := e.scan(t, scanPath)
			if sc.State != store.ScanError || sc.OverlayKey != "" {
				t.Errorf("scan after a refused overlay: state %s, overlay key %q", sc.State, sc.OverlayKey)
			}
			if _, err := os.Stat(filepath.Join(root, uploads, "scan-"+strconv.FormatInt(sc.ID, 10)+".tar.part")); !os.IsNotExist(err) {
				t.Errorf("the refused upload was kept: %v", err)
			}
			e.in(t).sameDisk(root, disk, uploads)
		})
	}
}
