package api_test

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kilnhq/kiln/internal/store"
)

// tenantRoles are every role a tenant can hold: the adversary gets all of
// them, so that what stops him is the ownership check, not a missing
// entitlement.
var tenantRoles = []string{"designer", "apiuser", "user", "migration"}

// world is what alice owns when bob starts probing: one resource of each
// kind, every generation finished, so nothing in it changes on its own.
type world struct {
	alice, bob *client
	ids        map[string]string // path parameter name -> alice's id
	scanImage  string            // {itid} on scan routes ({itid} in ids is the appliance image)
}

func newWorld(t *testing.T, e *env) *world {
	t.Helper()
	w := &world{alice: e.createUser("alice", "alice-pw", tenantRoles...), bob: e.createUser("bob", "bob-pw", tenantRoles...)}
	a := w.alice
	akid := a.do("POST", "/users/alice/apikeys", `<ns0:apiKeyPair `+ns+`><name>alice-key</name></ns0:apiKeyPair>`).expect(201).field("dbId")
	aid := templateWithOS(t, a, "alice-web")
	images := "/users/alice/appliances/" + aid + "/images"
	itid := a.do("POST", images, qcow2Request).expect(201).field("dbId")
	waitStatus(t, a, images+"/"+itid+"/status").has("<complete>true</complete>")

	scanPath := newScan(t, a, "alice-box")
	a.doRaw("POST", scanPath+"/overlay", string(goodOverlay(t)), octets).expect(201)
	w.scanImage = a.do("POST", scanPath+"/images", qcow2Request).expect(201).field("dbId")
	waitStatus(t, a, scanPath+"/images/"+w.scanImage+"/status").has("<complete>true</complete>")
	parts := strings.Split(scanPath, "/") // /users/alice/scannedinstances/{siid}/scans/{sid}
	w.ids = map[string]string{"akid": akid, "aid": aid, "osid": aid, "ipid": aid, "itid": itid,
		"siid": parts[4], "sid": parts[6], "fileName": "image.qcow2"}
	return w
}

var octets = map[string]string{"Content-Type": "application/octet-stream"}

// path fills a route's pattern for user uid with alice's ids. ok is false
// when the pattern has a parameter the world does not know: a new kind of
// resource the world must be taught to create.
func (w *world) path(pattern, uid string) (string, bool) {
	out, rest := "", pattern
	for {
		i := strings.Index(rest, "{")
		if i < 0 {
			return out + rest, true
		}
		j := strings.Index(rest, "}")
		name := rest[i+1 : j]
		v, ok := w.ids[name]
		switch {
		case name == "uid":
			v, ok = uid, true
		case name == "itid" && strings.Contains(pattern, "{sid}"):
			v = w.scanImage
		}
		if !ok {
			return "", false
		}
		out, rest = out+rest[:i]+v, rest[j+1:]
	}
}

// holdings is every row a user owns, read straight from the store.
type holdings struct {
	User       *store.User
	Keys       []store.APIKey
	Appliances []store.Appliance
	Images     []store.Image
	Instances  []store.ScannedInstance
	Scans      []store.Scan
}

func (e *env) holdings(login string) holdings {
	e.t.Helper()
	ctx := context.Background()
	var h holdings
	var err error
	if h.User, err = e.st.GetUser(ctx, login); err != nil {
		e.t.Fatal(err)
	}
	id := h.User.ID
	h.Keys, err = e.st.ListAPIKeys(ctx, id)
	if err == nil {
		h.Appliances, err = e.st.ListAppliances(ctx, id)
	}
	if err == nil {
		h.Images, err = e.st.ListImages(ctx, store.ImageFilter{OwnerID: id})
	}
	if err == nil {
		h.Instances, err = e.st.ListScannedInstances(ctx, id, "")
	}
	if err == nil {
		h.Scans, err = e.st.ListScans(ctx, store.ScanFilter{OwnerID: id})
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// unchanged fails when login's rows differ from before.
func (e *env) unchanged(login string, before holdings) {
	e.t.Helper()
	if d := cmp.Diff(before, e.holdings(login)); d != "" {
		e.t.Errorf("the store rows of %s changed (-before +after):\n%s", login, d)
	}
}

// diskState lists every file and directory under root but the database's own
// files, files with mode, size and modification time: what a probe must not
// change.
// skip leaves out further paths (relative to root).
func diskState(t *testing.T, root string, skip ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if strings.HasPrefix(filepath.Base(p), "kiln.db") {
			return nil
		}
		for _, s := range skip {
			if rel == s || strings.HasPrefix(rel, s+"/") {
				return nil
			}
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			out[rel] = st.Mode().String() // its entries are listed; its times change with theirs
			return nil
		}
		out[rel] = fmt.Sprintf("%v %d %v", st.Mode(), st.Size(), st.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sameDisk fails when the files under root differ from before.
func (e *env) sameDisk(root string, before map[string]string, skip ...string) {
	e.t.Helper()
	if d := cmp.Diff(before, diskState(e.t, root, skip...)); d != "" {
		e.t.Errorf("files under %s changed (-before +after):\n%s", root, d)
	}
}

// in returns a copy of e reporting to t: the harness fails the test the env
// was made for, and a subtest needs its own.
func (e *env) in(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// scan reads the stored row of the scan at scanPath.
func (e *env) scan(t *testing.T, scanPath string) *store.Scan {
	t.Helper()
	id, err := strconv.ParseInt(scanPath[strings.LastIndex(scanPath, "/")+1:], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := e.st.GetScan(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}
