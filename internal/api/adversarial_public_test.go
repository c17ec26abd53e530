package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/api"
)

// TestAdversarialPublicRoutes: the routes that take no credentials are the
// status and the downloads; a download needs the image's current single-use
// key on the image's own path. Failed attempts neither serve the file nor
// spend the key.
func TestAdversarialPublicRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(t, e)
	key := func(id string) string {
		n, _ := strconv.ParseInt(id, 10, 64)
		img, err := e.st.GetImage(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		return img.DownloadKey
	}
	applianceKey, scanKey := key(w.ids["itid"]), key(w.scanImage)
	alice, disk := e.holdings("alice"), diskState(t, e.dir)
	anon := e.anonymous()
	for _, rt := range api.Routes() {
		if !rt.Public {
			continue
		}
		switch {
		case rt.Path == "/status":
			anon.do(rt.Method, rt.Path, "").expect(http.StatusOK).lacks("alice")
		case strings.Contains(rt.Path, "/downloads"):
			own, other := applianceKey, scanKey
			if strings.Contains(rt.Path, "{sid}") {
				own, other = scanKey, applianceKey
			}
			theirs, _ := w.path(rt.Path, "alice")
			mine, _ := w.path(rt.Path, "bob")
			// Every bad link gets the same answer, so that none tells whether
			// the image exists.
			none, refusal := probe{}, "no image download matches this link"
			anon.try(t, rt.Method, theirs, none, http.StatusNotFound, refusal)
			anon.try(t, rt.Method, theirs+"?downloadId=not-the-key", none, http.StatusNotFound, refusal)
			anon.try(t, rt.Method, theirs+"?downloadId="+other, none, http.StatusNotFound, refusal)
			// Credentials are no substitute for the key, even the owner's.
			w.alice.try(t, rt.Method, theirs, none, http.StatusNotFound, refusal)
			// The right key on another user's path names no image.
			anon.try(t, rt.Method, mine+"?downloadId="+own, none, http.StatusNotFound, refusal)
		default:
			t.Errorf("%s %s is public and not covered here: say who may call it and test it", rt.Method, rt.Path)
		}
	}
	e.unchanged("alice", alice)
	e.sameDisk(e.dir, disk)
	// The keys were not spent: each still downloads, once.
	for _, p := range []string{
		"/users/alice/appliances/" + w.ids["aid"] + "/images/" + w.ids["itid"] + "/downloads?downloadId=" + applianceKey,
		"/users/alice/scannedinstances/" + w.ids["siid"] + "/scans/" + w.ids["sid"] + "/images/" + w.scanImage + "/downloads?downloadId=" + scanKey,
	} {
		if r := anon.do("GET", p, ""); r.status != http.StatusOK || !strings.HasPrefix(r.body, "stand-in image") {
			t.Errorf("GET %s: %d %.100q", p, r.status, r.body)
		}
		anon.do("GET", p, "").uforgeError(http.StatusNotFound, "no image download matches this link")
	}
}
