package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/api"
	"github.com/kilnhq/kiln/internal/auth"
)

// probe is a valid body for a route that takes one: a refusal must come from
// the ownership check, not from a body the handler could not read.
type probe struct {
	body   string
	header map[string]string // nil: XML
}

// probes are keyed by route pattern ("METHOD /path"); every POST and PUT
// route needs one, an empty probe when it takes no body.
func probes(t *testing.T) map[string]probe {
	image := probe{body: qcow2Request}
	profile := probe{body: `<ns0:installProfile ` + ns + `><timezone>UTC</timezone></ns0:installProfile>`}
	return map[string]probe{
		"POST /users":                               {body: `<ns0:user ` + ns + `><loginName>mallory</loginName><password>mallory-pw</password></ns0:user>`},
		"PUT /users/{uid}":                          {body: `<ns0:user ` + ns + `><firstName>Mallory</firstName></ns0:user>`},
		"PUT /users/{uid}/roles":                    {body: `<ns0:roles ` + ns + `><roles><role><name>admin</name></role></roles></ns0:roles>`},
		"POST /users/{uid}/apikeys":                 {body: `<ns0:apiKeyPair ` + ns + `/>`},
		"PUT /users/{uid}/apikeys/{akid}":           {body: `<ns0:apiKeyPair ` + ns + `><name>mallory</name></ns0:apiKeyPair>`},
		"POST /users/{uid}/appliances":              {body: applianceXML("mallory", "1.0")},
		"PUT /users/{uid}/appliances/{aid}":         {body: `<ns0:appliance ` + ns + `><name>pwned</name></ns0:appliance>`},
		"POST /users/{uid}/appliances/{aid}/clones": {body: `<ns0:appliance ` + ns + `><name>stolen</name><version>1.0</version></ns0:appliance>`},
		"POST /users/{uid}/appliances/{aid}/osprofile": {body: `<ns0:distribProfile ` + ns +
			`><standardProfileUri>distributions/2/profiles/3</standardProfileUri></ns0:distribProfile>`},
		"PUT /users/{uid}/appliances/{aid}/osprofile/{osid}/pkgs": {body: `<ns0:packages ` + ns + `><pkgs><pkg><name>vim</name></pkg></pkgs></ns0:packages>`},
		"PUT /users/{uid}/appliances/{aid}/installProfile":        profile,
		"PUT /users/{uid}/appliances/{aid}/installProfile/{ipid}": profile,
		"POST /users/{uid}/appliances/{aid}/images":               image,
		"POST /users/{uid}/appliances/{aid}/images/{itid}":        {},
		"POST /users/{uid}/scannedinstances": {body: `<ns0:scannedInstance ` + ns + `><name>mallory-box</name>` +
			`<distribution><version>12</version></distribution></ns0:scannedInstance>`},
		"POST /users/{uid}/scannedinstances/{siid}/scans":                     {body: string(scanReport(t, "12")), header: octets},
		"PUT /users/{uid}/scannedinstances/{siid}/scans/{sid}":                {body: `<ns0:scan ` + ns + `><name>pwned</name></ns0:scan>`},
		"POST /users/{uid}/scannedinstances/{siid}/scans/{sid}/overlay":       {body: string(goodOverlay(t)), header: octets},
		"POST /users/{uid}/scannedinstances/{siid}/scans/{sid}/images":        image,
		"POST /users/{uid}/scannedinstances/{siid}/scans/{sid}/images/{itid}": {},
		"PUT /users/{uid}/quotas":                                             {body: `<ns0:quotas ` + ns + `><quotas><quota><limit>-1</limit><type>generation</type></quota></quotas></ns0:quotas>`},
	}
}

// adminOnly reports whether no tenant role grants entitlement e.
func adminOnly(e string) bool {
	return e != "" && !slices.Contains(auth.Entitlements(tenantRoles), e)
}

// try sends one probe and reports a wrong answer without stopping, so that
// one run lists every route that leaks.
func (c *client) try(t *testing.T, method, path string, pr probe, status int, fragment string) {
	t.Helper()
	r := c.doRaw(method, path, pr.body, pr.header)
	switch {
	case r.status != status:
		t.Errorf("%s %s as %s: status %d, want %d: %.300s", method, path, c.user, r.status, status, r.body)
	case method == http.MethodHead:
	case !strings.Contains(r.body, "uforgeError") || !strings.Contains(r.body, fragment):
		t.Errorf("%s %s as %s: %d without %q in a uforgeError: %.300s", method, path, c.user, status, fragment, r.body)
	case status == http.StatusNotFound && !strings.Contains(path, "alice") && strings.Contains(r.body, "alice"):
		t.Errorf("%s %s as %s: the 404 names alice: %.300s", method, path, c.user, r.body)
	}
}

// TestAdversarialCrossUser walks the route table: bob, holding every tenant
// role, calls each route under /users/{uid} on alice's real resources and is
// refused with 403; under his own uid with her ids he gets 404, never her
// data. Neither user's rows nor the data directory change.
func TestAdversarialCrossUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(t, e)
	bodies := probes(t)
	alice, bob, disk := e.holdings("alice"), e.holdings("bob"), diskState(t, e.dir)
	tried := 0
	for _, rt := range api.Routes() {
		if rt.Public || !strings.Contains(rt.Path, "{uid}") {
			continue // TestAdversarialPublicRoutes, TestAdversarialSharedRoutes
		}
		key := rt.Method + " " + rt.Path
		pr, ok := bodies[key]
		if !ok && (rt.Method == http.MethodPost || rt.Method == http.MethodPut) {
			t.Errorf("%s: no probe body: add a valid one to probes", key)
			continue
		}
		theirs, ok := w.path(rt.Path, "alice")
		if !ok {
			t.Errorf("%s: a path parameter newWorld does not create: give alice one", key)
			continue
		}
		mine, _ := w.path(rt.Path, "bob")
		tried++
		if adminOnly(rt.Entitlement) {
			// Roles and the like: refused on any uid, his own included.
			w.bob.try(t, rt.Method, theirs, pr, http.StatusForbidden, rt.Entitlement)
			w.bob.try(t, rt.Method, mine, pr, http.StatusForbidden, rt.Entitlement)
			continue
		}
		w.bob.try(t, rt.Method, theirs, pr, http.StatusForbidden, "resources of user &#34;alice")
		switch {
		case strings.Count(rt.Path, "{") > 1:
			w.bob.try(t, rt.Method, mine, pr, http.StatusNotFound, "does not exist")
		case rt.Method == http.MethodGet:
			// His own collections hold nothing of hers.
			w.bob.do(rt.Method, mine, "").expect(http.StatusOK).lacks("alice")
		}
	}
	if tried < 50 {
		t.Errorf("only %d routes under /users/{uid} were tried", tried)
	}
	// Filters naming her resources find nothing either.
	img := "users/alice/appliances/" + w.ids["aid"] + "/images/" + w.ids["itid"]
	w.bob.do("GET", "/users/bob/images?img="+q(img), "").expect(200).has("<total>0</total>").lacks("alice")
	w.bob.do("GET", "/users/bob/images/status?img="+q(img), "").expect(200).lacks("alice")
	e.unchanged("alice", alice)
	e.unchanged("bob", bob)
	e.sameDisk(e.dir, disk)
}

// TestAdversarialSharedRoutes: the routes outside /users/{uid} serve the
// shared catalog, which names no tenant, or are for administrators only.
func TestAdversarialSharedRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(t, e)
	bodies := probes(t)
	alice, bob := e.holdings("alice"), e.holdings("bob")
	catalog := map[string]string{"oid": "1", "id": "2", "pid": "3", "tfid": "1"}
	for k, v := range catalog {
		w.ids[k] = v
	}
	var refused []string
	for _, rt := range api.Routes() {
		if rt.Public || strings.Contains(rt.Path, "{uid}") {
			continue
		}
		key := rt.Method + " " + rt.Path
		path, ok := w.path(rt.Path, "bob")
		if !ok {
			t.Errorf("%s: a path parameter with no catalog id here", key)
			continue
		}
		if adminOnly(rt.Entitlement) {
			w.bob.try(t, rt.Method, path, bodies[key], http.StatusForbidden, rt.Entitlement)
			refused = append(refused, key)
			continue
		}
		if rt.Method != http.MethodGet {
			t.Errorf("%s: a shared route that changes something: decide who may call it and test it here", key)
			continue
		}
		if r := w.bob.do(rt.Method, path, ""); r.status >= 500 || strings.Contains(r.body, "alice") {
			t.Errorf("%s as bob: %d %.300s", key, r.status, r.body)
		}
	}
	// Creating users, listing entitlements and roles, and the organisation's
	// format settings are for administrators.
	for _, want := range []string{"POST /users", "GET /entitlements", "GET /orgs/{oid}/roles", "GET /orgs/{oid}/targetformats"} {
		if !slices.Contains(refused, want) {
			t.Errorf("%s is not refused to tenants", want)
		}
	}
	// The user list is not refused, but a tenant sees only himself.
	w.bob.do("GET", "/users", "").expect(200).has("<total>1</total>", "<loginName>bob</loginName>").lacks("alice")
	e.unchanged("alice", alice)
	e.unchanged("bob", bob)
}
