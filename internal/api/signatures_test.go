package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/api"
	"github.com/kilnhq/kiln/internal/app"
	"github.com/kilnhq/kiln/internal/auth"
	kilnclient "github.com/kilnhq/kiln/internal/client"
	"github.com/kilnhq/kiln/internal/store"
	"github.com/kilnhq/kiln/internal/uforge"
)

// apiKey creates a key pair for c's user and returns its public and secret keys.
func (c *client) apiKey() (pub, secret string) {
	c.e.t.Helper()
	r := c.do("POST", "/users/"+c.user+"/apikeys", `<ns0:apiKeyPair `+ns+`/>`).expect(201)
	return r.field("publicKey"), r.field("secretKey")
}

// keyedAlice creates alice with an appliance ("web") and an API key pair.
func keyedAlice(e *env) (alice *client, applianceID, pub, secret string) {
	e.t.Helper()
	alice = e.createUser("alice", "alice-pw")
	applianceID = alice.do("POST", "/users/alice/appliances", applianceXML("web", "1.0")).expect(201).field("dbId")
	pub, secret = alice.apiKey()
	return alice, applianceID, pub, secret
}

// legacy signs path (relative to /api) as hammr does and returns it relative to /api.
func (e *env) legacy(path, pub, secret string) string {
	e.t.Helper()
	signed, err := auth.SignURL(e.srv.URL+"/api"+path, "/api", pub, secret)
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.TrimPrefix(signed, e.srv.URL+"/api")
}

// v1 signs method path body in Kiln's form at time at, and returns the path
// relative to /api and the headers to send.
func (e *env) v1(method, path, body, pub, secret string, at time.Time) (string, map[string]string) {
	e.t.Helper()
	signed, hash, err := auth.SignV1(method, e.srv.URL+"/api"+path, "/api", pub, secret, []byte(body), at)
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.TrimPrefix(signed, e.srv.URL+"/api"), map[string]string{auth.BodyHashHeader: hash}
}

// keyClient is Kiln's own Go client signing with a key pair.
func (e *env) keyClient(pub, secret string) *kilnclient.Client {
	return &kilnclient.Client{BaseURL: e.srv.URL + "/api", PublicKey: pub, SecretKey: secret, HTTP: e.srv.Client(), Retries: -1}
}

// A legacy signature covers neither method nor body: a signed GET sent again
// with another method is refused and changes nothing.
func TestLegacySignatureReplayedWithAnotherMethod(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, id, pub, secret := keyedAlice(e)
	anon := e.anonymous()

	get := e.legacy("/users/alice/appliances/"+id, pub, secret)
	anon.do("GET", get, "").expect(200).has("<name>web</name>")
	anon.do("HEAD", get, "").expect(200)
	anon.do("DELETE", get, "").uforgeError(401, "GET and HEAD only")
	alice.do("GET", "/users/alice/appliances/"+id, "").expect(200)

	// The account takeover: a signed GET of the user sent as PUT with a password.
	getUser := e.legacy("/users/alice", pub, secret)
	anon.do("PUT", getUser, `<ns0:user `+ns+`><password>mallory-pw</password></ns0:user>`).uforgeError(401, "GET and HEAD only")
	alice.do("GET", "/users/alice", "").expect(200)
	e.as("alice", "mallory-pw").do("GET", "/users/alice", "").uforgeError(401, "wrong login or password")

	// Parameters after the signature are not signed; repeated ones are ambiguous.
	list := e.legacy("/users/alice/appliances", pub, secret)
	anon.do("GET", list, "").expect(200).has("<total>1</total>")
	anon.do("GET", list+"&query="+q("name=='web'"), "").uforgeError(401, "last query parameter")
	anon.do("GET", list+"&apiKey="+pub, "").uforgeError(401, "apiKey is repeated")
	anon.do("GET", strings.Replace(list, "?apiKey=", "?apiKey="+pub+"&apiKey=", 1), "").uforgeError(401, "apiKey is repeated")
	anon.do("GET", list+"&signature=x", "").uforgeError(401, "signature is repeated")
}

// The operator may accept hammr's legacy signatures for every method.
func TestLegacySignaturesForEveryMethodWhenAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *app.Config) { c.LegacyAPIKeySignatures = true })
	alice, id, pub, secret := keyedAlice(e)
	e.anonymous().do("DELETE", e.legacy("/users/alice/appliances/"+id, pub, secret), "").expect(204)
	alice.do("GET", "/users/alice/appliances/"+id, "").expect(404)
	// Still, a key never changes the password.
	e.anonymous().do("PUT", e.legacy("/users/alice", pub, secret), `<ns0:user `+ns+`><password>mallory-pw</password></ns0:user>`).
		uforgeError(403, "an API key cannot")
	alice.do("GET", "/users/alice", "").expect(200)
}

// Kiln's v1 form covers method, path, query, body and time, and is accepted once.
func TestV1Signatures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, id, pub, secret := keyedAlice(e)
	anon := e.anonymous()
	now := time.Now()

	path, hdr := e.v1("GET", "/users/alice/appliances/"+id, "", pub, secret, now)
	anon.doRaw("GET", path, "", hdr).expect(200).has("<name>web</name>")
	anon.doRaw("GET", path, "", hdr).uforgeError(401, "already received")

	// A signed GET sent as DELETE: refused, the appliance stays.
	path, hdr = e.v1("GET", "/users/alice/appliances/"+id, "", pub, secret, now)
	anon.doRaw("DELETE", path, "", hdr).uforgeError(401, "bad signature")
	alice.do("GET", "/users/alice/appliances/"+id, "").expect(200)

	// A signed PUT with another body: refused before anything is decoded.
	update := `<ns0:appliance ` + ns + `><description>signed</description></ns0:appliance>`
	path, hdr = e.v1("PUT", "/users/alice/appliances/"+id, update, pub, secret, now)
	forged := strings.Replace(update, "signed", "forged", 1)
	anon.doRaw("PUT", path, forged, hdr).uforgeError(401, "not the one signed")
	alice.do("GET", "/users/alice/appliances/"+id, "").expect(200).lacks("forged")
	// With its own body's hash the signature does not match.
	anon.doRaw("PUT", path, forged, map[string]string{auth.BodyHashHeader: auth.BodyHash([]byte(forged))}).uforgeError(401, "bad signature")

	// A timestamp out of the window, a changed timestamp, a parameter added.
	path, hdr = e.v1("GET", "/users/alice/appliances", "", pub, secret, now.Add(-auth.MaxSkew-time.Minute))
	anon.doRaw("GET", path, "", hdr).uforgeError(401, "away from the server")
	path, hdr = e.v1("GET", "/users/alice/appliances", "", pub, secret, now)
	ts := "timestamp=" + itoa(int(now.Unix()))
	anon.doRaw("GET", strings.Replace(path, ts, "timestamp="+itoa(int(now.Unix())+1), 1), "", hdr).uforgeError(401, "bad signature")
	anon.doRaw("GET", strings.Replace(path, "?", "?query="+q("name=='x'")+"&", 1), "", hdr).uforgeError(401, "bad signature")

	// Kiln's own client signs this way, bodies included.
	kc := e.keyClient(pub, secret)
	ctx := context.Background()
	a, err := kc.CreateAppliance(ctx, "alice", &uforge.Appliance{Name: uforge.Str("api"), Version: uforge.Str("2.0"),
		DistributionURI: uforge.Str("distributions/2")})
	if err != nil {
		t.Fatal(err)
	}
	if err := kc.DeleteAppliance(ctx, "alice", uforge.Int64Value(a.DBID), false); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the same request twice is signed twice
		if _, err := kc.Appliances(ctx, "alice", ""); err != nil {
			t.Fatal(err)
		}
	}
}

// Passwords and keys are managed with the password only: a key, in any form,
// gets 403 and changes nothing.
func TestCredentialsNeedThePassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := e.createUser("alice", "alice-pw")
	pub, secret := alice.apiKey()
	keyID := alice.do("GET", "/users/alice/apikeys", "").expect(200).field("dbId")
	kc := e.keyClient(pub, secret)
	ctx := context.Background()
	const needs = "an API key cannot"

	err := kc.Do(ctx, "PUT", "users/alice", nil, &uforge.User{UserProfile: uforge.UserProfile{}, Password: uforge.Str("mallory-pw")}, nil)
	wantAPIError(t, err, 403, needs)
	alice.do("GET", "/users/alice", "").expect(200)
	e.as("alice", "mallory-pw").do("GET", "/users/alice", "").expect(401)

	err = kc.Do(ctx, "POST", "users/alice/apikeys", nil, &uforge.APIKeyPair{}, nil)
	wantAPIError(t, err, 403, needs)
	wantAPIError(t, kc.Do(ctx, "GET", "users/alice/apikeys", nil, nil, nil), 403, needs)
	wantAPIError(t, kc.Do(ctx, "GET", "users/alice/apikeys/"+keyID, nil, nil, nil), 403, needs)
	wantAPIError(t, kc.Do(ctx, "DELETE", "users/alice/apikeys/"+keyID, nil, nil, nil), 403, needs)
	e.anonymous().do("GET", e.legacy("/users/alice/apikeys", pub, secret), "").uforgeError(403, needs)
	alice.do("GET", "/users/alice/apikeys", "").expect(200).has("<total>1</total>")

	// An administrator's key creates no user and grants no role either.
	apub, asecret := e.admin().apiKey()
	akc := e.keyClient(apub, asecret)
	err = akc.Do(ctx, "POST", "users", nil, &uforge.User{UserProfile: uforge.UserProfile{LoginName: uforge.Str("mallory")}, Password: uforge.Str("mallory-pw")}, nil)
	wantAPIError(t, err, 403, needs)
	e.admin().do("GET", "/users/mallory", "").expect(404)
	err = akc.Do(ctx, "PUT", "users/alice/roles", nil, &uforge.Roles{Roles: []uforge.Role{{Name: uforge.Str("admin")}}}, nil)
	wantAPIError(t, err, 403, needs)
	alice.do("GET", "/users/alice/roles", "").expect(200).lacks("<name>admin</name>")
	// Everything else a key may do: read the account.
	if _, err := kc.GetUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
}

func wantAPIError(t *testing.T, err error, status int, fragment string) {
	t.Helper()
	ae, ok := kilnclient.AsAPIError(err)
	if !ok || ae.Status != status || !strings.Contains(ae.Message, fragment) {
		t.Fatalf("err = %v, want %d naming %q", err, status, fragment)
	}
}

// The secret is shown when the key is created, never again.
func TestAPISecretShownOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := e.createUser("alice", "alice-pw")
	r := alice.do("POST", "/users/alice/apikeys", `<ns0:apiKeyPair `+ns+`/>`).expect(201).has("<secretKey>")
	secret, id := r.field("secretKey"), r.field("dbId")
	alice.do("GET", "/users/alice/apikeys", "").expect(200).has("<publicKey>").lacks("<secretKey>", secret)
	alice.withJSON().do("GET", "/users/alice/apikeys", "").expect(200).has(`"publicKey"`).lacks("secretKey", secret)
	alice.do("GET", "/users/alice/apikeys/"+id, "").expect(200).lacks("<secretKey>", secret)
	alice.do("PUT", "/users/alice/apikeys/"+id, `<ns0:apiKeyPair `+ns+`><name>ci</name></ns0:apiKeyPair>`).expect(200).lacks("<secretKey>", secret)
	e.admin().do("GET", "/users/alice/apikeys", "").expect(200).lacks("<secretKey>", secret)
}

// Keys may expire; an expired key authenticates nothing.
func TestAPIKeyExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := e.createUser("alice", "alice-pw")
	at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	r := alice.do("POST", "/users/alice/apikeys?expires="+q(at.Format(time.RFC3339)), `<ns0:apiKeyPair `+ns+`/>`).expect(201)
	if got := r.header.Get(api.KeyExpiresHeader); got != at.Format(time.RFC3339) {
		t.Errorf("%s = %q, want %s", api.KeyExpiresHeader, got, at.Format(time.RFC3339))
	}
	alice.do("GET", "/users/alice/apikeys/"+r.field("dbId"), "").expect(200)
	if _, err := e.keyClient(r.field("publicKey"), r.field("secretKey")).GetUser(context.Background(), "alice"); err != nil {
		t.Fatalf("a key before its expiry: %v", err)
	}
	alice.do("POST", "/users/alice/apikeys?expires=2001-01-01T00:00:00Z", `<ns0:apiKeyPair `+ns+`/>`).uforgeError(400, "not in the future")
	alice.do("POST", "/users/alice/apikeys?expires=tomorrow", `<ns0:apiKeyPair `+ns+`/>`).uforgeError(400, "RFC 3339")
	alice.do("GET", "/users/alice/apikeys", "").expect(200).has("<total>1</total>")

	// A key that expired (made in the store: the API takes future times only).
	u, err := e.st.GetUser(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	old := &store.APIKey{UserID: u.ID, PublicKey: "expired-pub", SecretKey: "expired-secret", Expires: time.Now().Add(-time.Second)}
	if err := e.st.CreateAPIKey(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	_, err = e.keyClient("expired-pub", "expired-secret").GetUser(context.Background(), "alice")
	wantAPIError(t, err, 401, "expired")
	e.anonymous().do("GET", e.legacy("/users/alice", "expired-pub", "expired-secret"), "").uforgeError(401, "expired")
}

// A body must say it is XML or JSON: a body without Content-Type is not read
// as XML, and a browser form cannot make a signed-in browser send one.
func TestBodyNeedsContentType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	user := `<ns0:user ` + ns + `><loginName>mallory</loginName><password>mallory-pw</password><roles><role><name>admin</name></role></roles></ns0:user>`
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/octet-stream", "nonsense/"} {
		e.admin().doRaw("POST", "/users", user, map[string]string{"Content-Type": ct}).uforgeError(415, "Content-Type")
	}
	e.admin().do("GET", "/users/mallory", "").expect(404)
	// Refused before authentication: a form post gets 415 even without credentials.
	e.anonymous().doRaw("POST", "/users", "", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}).uforgeError(415, "Content-Type")
	// The accepted types, with parameters and suffixes.
	e.admin().doRaw("POST", "/users", strings.Replace(user, "mallory", "m1", 1), map[string]string{"Content-Type": "application/xml; charset=utf-8"}).expect(201)
	e.admin().doRaw("POST", "/users", strings.Replace(user, "mallory", "m2", 1), map[string]string{"Content-Type": "application/vnd.kiln+xml"}).expect(201)
	e.admin().doRaw("POST", "/users", `{"user":{"loginName":"m3"}}`, map[string]string{"Content-Type": "application/json; charset=utf-8"}).expect(201)
}

// A disabled account answers the right password exactly as a wrong one.
func TestDisabledAccountDoesNotConfirmThePassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bob := e.createUser("bob", "bob-pw")
	bob.do("GET", "/users/bob", "").expect(200) // cached as verified, too
	e.admin().do("PUT", "/users/bob", `<ns0:user `+ns+`><active>false</active></ns0:user>`).expect(200).has("<active>false</active>")
	right := bob.do("GET", "/users/bob", "").uforgeError(401, "wrong login or password")
	wrong := e.as("bob", "not-bob-pw").do("GET", "/users/bob", "").uforgeError(401, "wrong login or password")
	if a, b := withoutTimestamp(right.body), withoutTimestamp(wrong.body); a != b {
		t.Errorf("right and wrong passwords of a disabled account answer differently:\n%s\n%s", a, b)
	}
	if right.header.Get("WWW-Authenticate") != wrong.header.Get("WWW-Authenticate") {
		t.Errorf("WWW-Authenticate differs: %q, %q", right.header.Get("WWW-Authenticate"), wrong.header.Get("WWW-Authenticate"))
	}
}

func withoutTimestamp(body string) string {
	if i := strings.Index(body, "<timestamp>"); i >= 0 {
		if j := strings.Index(body[i:], "</timestamp>"); j >= 0 {
			return body[:i] + body[i+j:]
		}
	}
	return body
}
