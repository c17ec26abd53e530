package api_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/app"
)

// downloadError is what an anonymous download answer says, without what
// differs by request (its path and time).
func downloadError(r *reply) string {
	return itoa(r.status) + " " + r.field("statusCode") + " " + r.field("messageId") + " " + r.field("message")
}

// imagesOf creates login with an appliance it may generate, and returns
// the user's client and the appliance's images path.
func imagesOf(t *testing.T, e *env, login string) (*client, string) {
	t.Helper()
	c := e.createUser(login, login+"-pw")
	return c, "/users/" + login + "/appliances/" + templateWithOS(t, c, "web") + "/images"
}

// generated generates a QCOW2 image at base, waits for it, and returns its id.
func generated(t *testing.T, c *client, base string) string {
	t.Helper()
	id := c.do("POST", base, qcow2Request).expect(201).field("dbId")
	waitStatus(t, c, base+"/"+id+"/status")
	return id
}

// TestDownloadAnswersAlikeForEveryBadLink: whether the image exists, belongs
// to that user and appliance, or the key is missing, wrong or used, an
// anonymous download link that does not work gets the same 404.
func TestDownloadAnswersAlikeForEveryBadLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, base := imagesOf(t, e, "alice")
	e.createUser("bob", "bob-pw")
	aid := strings.Split(base, "/")[4]
	id := generated(t, alice, base)
	key := alice.do("GET", base+"/"+id, "").expect(200).field("downloadKey")
	resp := rawGet(t, e.srv.URL+"/api"+base+"/"+id+"/downloads?downloadId="+key, nil)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("download with the current key: %d", resp.StatusCode)
	}

	anon := e.anonymous()
	links := map[string]string{
		"no such image":     base + "/999/downloads?downloadId=" + key,
		"wrong key":         base + "/" + id + "/downloads?downloadId=not-the-key",
		"no key":            base + "/" + id + "/downloads",
		"used key":          base + "/" + id + "/downloads?downloadId=" + key,
		"another user":      "/users/bob/appliances/" + aid + "/images/" + id + "/downloads?downloadId=" + key,
		"no such user":      "/users/nobody/appliances/" + aid + "/images/" + id + "/downloads?downloadId=" + key,
		"another appliance": "/users/alice/appliances/999/images/" + id + "/downloads?downloadId=" + key,
		"scan path":         "/users/alice/scannedinstances/1/scans/1/images/" + id + "/downloads?downloadId=" + key,
	}
	want := ""
	for name, link := range links {
		got := downloadError(anon.do("GET", link, ""))
		if want == "" {
			want = got
		}
		if got != want {
			t.Errorf("%s: %q, but another bad link answers %q", name, got, want)
		}
	}
	if want[:3] != "404" {
		t.Errorf("bad links answer %q, want 404", want)
	}
}

// TestDownloadKeysExpireUnused: a key nobody used for the configured time
// stops working; the owner reading the image gets a fresh one that works.
func TestDownloadKeysExpireUnused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *app.Config) { c.DownloadKeyTTL = time.Second })
	alice, base := imagesOf(t, e, "alice")
	id := generated(t, alice, base)
	old := alice.do("GET", base+"/"+id, "").expect(200).field("downloadKey")
	time.Sleep(1500 * time.Millisecond)
	e.anonymous().do("GET", base+"/"+id+"/downloads?downloadId="+old, "").uforgeError(404, "expires unused")
	fresh := alice.do("GET", base+"/"+id, "").expect(200).field("downloadKey")
	if fresh == old {
		t.Fatal("reading the image after the key expired showed the expired key")
	}
	resp := rawGet(t, e.srv.URL+"/api"+base+"/"+id+"/downloads?downloadId="+fresh, nil)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("download with the renewed key: %d", resp.StatusCode)
	}
}
