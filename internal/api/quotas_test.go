package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/app"
	"github.com/kilnhq/kiln/internal/store"
)

// quotaBody is a PUT /users/{uid}/quotas body setting each type to its limit.
func quotaBody(limits map[string]int64) string {
	var b strings.Builder
	b.WriteString(`<ns0:quotas ` + ns + `><quotas>`)
	for _, kind := range store.QuotaKinds() {
		if l, ok := limits[kind]; ok {
			fmt.Fprintf(&b, "<quota><limit>%d</limit><type>%s</type></quota>", l, kind)
		}
	}
	b.WriteString(`</quotas></ns0:quotas>`)
	return b.String()
}

// quotaRow is the <quota> of one type in an answer, as "limit/nb".
func quotaRow(t *testing.T, r *reply, kind string) string {
	t.Helper()
	for _, q := range strings.Split(r.body, "<quota>")[1:] {
		if strings.Contains(q, "<type>"+kind+"</type>") {
			lim := (&reply{t: t, body: q}).field("limit")
			nb := (&reply{t: t, body: q}).field("nb")
			return lim + "/" + nb
		}
	}
	t.Fatalf("no %s quota in %s", kind, r.body)
	return ""
}

func userID(t *testing.T, e *env, login string) int64 {
	t.Helper()
	u, err := e.st.GetUser(context.Background(), login)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func usage(t *testing.T, e *env, login string) store.Usage {
	t.Helper()
	u, err := e.st.Usage(context.Background(), userID(t, e, login))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestQuotasServedAndEnforced(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *app.Config) { c.Quotas.Images = 5 })
	alice := migrationUser(t, e, "alice")
	path := "/users/alice/quotas"

	// Defaults: the server's image quota, no limit (-1) on the rest.
	r := alice.do("GET", path, "").expect(200).has("<total>4</total>", "<frequency>none</frequency>")
	for kind, want := range map[string]string{"generation": "5/0", "appliance": "-1/0", "scan": "-1/0", "diskusage": "-1/0"} {
		if got := quotaRow(t, r, kind); got != want {
			t.Errorf("%s quota = %s, want %s", kind, got, want)
		}
	}
	alice.withJSON().do("GET", path, "").expect(200).has(`"quotas":{"total":4,"quotas":{"quota":[`)
	alice.do("GET", "/users/alice", "").expect(200).has("<quotasUri>users/alice/quotas</quotasUri>")

	// Only an administrator changes them; a refused change changes nothing.
	alice.do("PUT", path, quotaBody(map[string]int64{"generation": -1})).uforgeError(403, "user_administrate")
	e.createUser("bob", "bob-pw").do("GET", path, "").uforgeError(403, "alice")
	e.admin().do("PUT", path, `<ns0:quotas `+ns+`><quotas><quota><limit>-2</limit><type>scan</type></quota></quotas></ns0:quotas>`).
		uforgeError(400, "limit")
	e.admin().do("PUT", path, `<ns0:quotas `+ns+`><quotas><quota><limit>3</limit><type>cpu</type></quota></quotas></ns0:quotas>`).expect(400)
	if got := quotaRow(t, alice.do("GET", path, "").expect(200), "generation"); got != "5/0" {
		t.Fatalf("after refused updates the image quota is %s", got)
	}
	r = e.admin().do("PUT", path, quotaBody(map[string]int64{"generation": 1, "appliance": 1, "scan": 1})).expect(200)
	if got := quotaRow(t, r, "generation"); got != "1/0" {
		t.Fatalf("image quota after the update = %s", got)
	}

	// Images: one, then 403 and nothing stored.
	aid := templateWithOS(t, alice, "web")
	base := "/users/alice/appliances/" + aid + "/images"
	generated(t, alice, base)
	alice.do("POST", base, strings.Replace(qcow2Request, "QCOW2", "Raw Virtual Disk", 1)).uforgeError(403, "quota exceeded")
	// Appliances: the second is refused, a clone too.
	alice.do("POST", "/users/alice/appliances", `<ns0:appliance `+ns+`><name>db</name><version>1.0</version></ns0:appliance>`).
		uforgeError(403, "quota exceeded")
	alice.do("POST", "/users/alice/appliances/"+aid+"/clones", `<ns0:appliance `+ns+`><name>web2</name><version>1.0</version></ns0:appliance>`).
		uforgeError(403, "appliances")
	// Scans: the second report is refused.
	newScan(t, alice, "web-01")
	report := scanReport(t, "12")
	alice.doRaw("POST", "/users/alice/scannedinstances/1/scans?crc="+crcHex(report), string(report),
		map[string]string{"Content-Type": "application/octet-stream"}).uforgeError(403, "scans")
	if got := usage(t, e, "alice"); got.Images != 1 || got.Appliances != 1 || got.Scans != 1 {
		t.Fatalf("after the refusals alice holds %+v: a refused request stored something", got)
	}
	r = alice.do("GET", path, "").expect(200)
	if got := quotaRow(t, r, "generation"); got != "1/1" {
		t.Errorf("image quota = %s, want 1/1", got)
	}
	if nb := strings.Split(quotaRow(t, r, "diskusage"), "/")[1]; nb == "0" {
		t.Errorf("diskusage counts nothing though alice holds an image: %s", r.body)
	}
}

// TestQuotaDiskUsageStopsOverlay: an overlay larger than what the disk quota
// leaves is cut off at the quota with 403; nothing beyond it is kept.
func TestQuotaDiskUsageStopsOverlay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := migrationUser(t, e, "alice")
	scanPath := newScan(t, alice, "web-01")
	e.admin().do("PUT", "/users/alice/quotas", quotaBody(map[string]int64{"diskusage": 1024})).expect(200)
	ov := goodOverlay(t) // a few KiB of tar
	if len(ov) <= 1024 {
		t.Fatalf("the overlay (%d bytes) does not exceed the quota", len(ov))
	}
	alice.doRaw("POST", scanPath+"/overlay?offset=0&complete=true", string(ov),
		map[string]string{"Content-Type": "application/octet-stream"}).uforgeError(403, "quota exceeded")
	held := alice.doRaw("HEAD", scanPath+"/overlay", "", nil).expect(200).header.Get("X-Kiln-Overlay-Received")
	if held != "0" {
		t.Fatalf("after the refusal the server holds %s bytes of the overlay, want 0", held)
	}
	alice.do("GET", scanPath, "").expect(200).has("<complete>false</complete>")
	// The next scan may not even start while the quota is used up.
	e.admin().do("PUT", "/users/alice/quotas", quotaBody(map[string]int64{"diskusage": 0})).expect(200)
	report := scanReport(t, "12")
	alice.doRaw("POST", "/users/alice/scannedinstances/1/scans?crc="+crcHex(report), string(report),
		map[string]string{"Content-Type": "application/octet-stream"}).uforgeError(403, "bytes")
}

// TestActiveGenerationsPerUser: one user cannot fill the queue. Beyond the
// cap a user's next generation is refused with 429 and Retry-After, while
// another user's is still admitted.
func TestActiveGenerationsPerUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *app.Config) { c.Quotas.ActiveGenerations = 1 })
	e.gen.holdRuns()
	alice, base := imagesOf(t, e, "alice")
	bob, bobBase := imagesOf(t, e, "bob")
	first := alice.do("POST", base, qcow2Request).expect(201).field("dbId")
	r := alice.do("POST", base, strings.Replace(qcow2Request, "QCOW2", "Raw Virtual Disk", 1)).uforgeError(429, "at once")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if got := usage(t, e, "alice"); got.Images != 1 {
		t.Fatalf("alice holds %d images after the refusal, want 1", got.Images)
	}
	bob.do("POST", bobBase, qcow2Request).expect(201)
	// Once alice's generation ends she may start another.
	alice.do("DELETE", base+"/"+first+"/status", "").expect(200)
	alice.do("POST", base, strings.Replace(qcow2Request, "QCOW2", "Raw Virtual Disk", 1)).expect(201)
}
