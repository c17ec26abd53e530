package api_test

import (
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/app"
)

// downloadError is what an anonymous download answer says, without what
// differs by request (its path and time).
func downloadError(t *testing.T, r *reply) string {
	t.Helper()
	var v struct {
		E struct {
			Msg struct {
				Message   string `json:"message"`
				MessageID string `json:"messageId"`
			} `json:"localizedErrorMsg"`
			Status int `json:"statusCode"`
		} `json:"uforgeError"`
	}
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("not a uforgeError: %v: %s", err, r.body)
	}
	return itoa(r.status) + " " + itoa(v.E.Status) + " " + v.E.Msg.MessageID + " " + v.E.Msg.Message
}

// TestDownloadAnswersAlikeForEveryBadLink: whether the image exists, belongs
// to that user and appliance, or the key is missing, wrong or used, an
// anonymous download link that does not work gets the same 404.
func TestDownloadAnswersAlikeForEveryBadLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := e.createUser("alice", "alice-pw")
	e.createUser("bob", "bob-pw")
	aid := templateWithOS(t, alice, "web")
	base := "/users/alice/appliances/" + aid + "/images"
	id := alice.do("POST", base, qcow2Request).expect(201).field("dbId")
	waitStatus(t, alice, base+"/"+id+"/status")
	key := alice.do("GET", base+"/"+id, "").expect(200).field("downloadKey")
	resp := rawGet(t, e.srv.URL+"/api"+base+"/"+id+"/downloads?downloadId="+key, nil)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("download with the current key: %d", resp.StatusCode)
	}

	anon := e.anonymous().withJSON()
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
		got := downloadError(t, anon.do("GET", link, ""))
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
	alice := e.createUser("alice", "alice-pw")
	aid := templateWithOS(t, alice, "web")
	base := "/users/alice/appliances/" + aid + "/images"
	id := alice.do("POST", base, qcow2Request).expect(201).field("dbId")
	waitStatus(t, alice, base+"/"+id+"/status")
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
