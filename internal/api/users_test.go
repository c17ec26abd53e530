package api_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/auth"
)

// createUser makes a user with the given roles (XML body, as UForge clients send).
func (e *env) createUser(login, password string, roles ...string) *client {
	e.t.Helper()
	body := `<ns0:user ` + ns + `><loginName>` + login + `</loginName><email>` + login + `@example.com</email><password>` + password + `</password>`
	if roles != nil {
		body += "<roles>"
		for _, r := range roles {
			body += "<role><name>" + r + "</name></role>"
		}
		body += "</roles>"
	}
	body += "</ns0:user>"
	e.admin().do("POST", "/users", body).expect(201).has("<loginName>" + login + "</loginName>").lacks(password)
	return e.as(login, password)
}

func TestUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice := e.createUser("alice", "alice-pw")
	alice.do("GET", "/users/alice", "").expect(200).has("<loginName>alice</loginName>", "<name>designer</name>",
		"<baseAppliancesUri>users/alice/appliances</baseAppliancesUri>").lacks("alice-pw", "argon2")
	alice.withJSON().do("GET", "/users/alice", "").expect(200).has(`"user":{`, `"loginName":"alice"`, `"roles":{"role":[`)
	// Without a password, one is generated and shown once.
	e.admin().withJSON().do("POST", "/users", `{"user":{"loginName":"carol"}}`).expect(201).has(`"password":"`)
	e.admin().do("POST", "/users", `<ns0:user `+ns+`><loginName>alice</loginName><password>whatever</password></ns0:user>`).
		uforgeError(409, "already exists")
	e.admin().do("POST", "/users", `<ns0:user `+ns+`><loginName>bad login!</loginName></ns0:user>`).uforgeError(400, "not a valid login")
	alice.do("POST", "/users", `<ns0:user `+ns+`><loginName>eve</loginName></ns0:user>`).uforgeError(403, auth.UserCreate)

	// Lists: an administrator sees everyone, a user only themselves.
	e.admin().do("GET", "/users", "").expect(200).has("<total>3</total>")
	alice.do("GET", "/users", "").expect(200).has("<total>1</total>", "<loginName>alice</loginName>")

	// Profile edits and password change.
	alice.do("PUT", "/users/alice", `<ns0:user `+ns+`><firstName>Alice</firstName><password>new-alice-pw</password></ns0:user>`).
		expect(200).has("<firstName>Alice</firstName>")
	alice.do("GET", "/users/alice", "").uforgeError(401, "wrong login or password")
	alice = e.as("alice", "new-alice-pw")
	alice.do("GET", "/users/alice", "").expect(200)
	alice.do("PUT", "/users/alice", `<ns0:user `+ns+`><active>false</active></ns0:user>`).uforgeError(403, "administrator")
	alice.do("PUT", "/users/alice", `<ns0:user `+ns+`><loginName>alicia</loginName></ns0:user>`).uforgeError(400, "cannot be renamed")
}

func TestRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bob := e.createUser("bob", "bob-pw", "user")
	bob.do("GET", "/users/bob/roles", "").expect(200).has("<total>1</total>", "<name>user</name>")
	// Without appliance_create, bob cannot list appliances; the error names the entitlement.
	bob.do("GET", "/users/bob/appliances", "").uforgeError(403, "appliance_create")
	bob.do("PUT", "/users/bob/roles", `<ns0:roles `+ns+`><roles><role><name>admin</name></role></roles></ns0:roles>`).uforgeError(403, "user_create")
	// The reference page's body (userRoles_update.rst) grants designer.
	e.admin().do("PUT", "/users/bob/roles", `<ns0:roles `+ns+`><roles><role><name>designer</name></role><role><name>migration</name></role></roles></ns0:roles>`).
		expect(200).has("<name>designer</name>", "<name>migration</name>", "<name>migration_access</name>", "<name>migration_publish</name>")
	bob.do("GET", "/users/bob/appliances", "").expect(200).has("<total>0</total>", "<appliances/>")
	e.admin().do("PUT", "/users/bob/roles", `<ns0:roles `+ns+`><roles><role><name>wizard</name></role></roles></ns0:roles>`).uforgeError(400, "wizard")
	e.admin().do("PUT", "/users/nobody/roles", `<ns0:roles `+ns+`><roles/></ns0:roles>`).uforgeError(404, "nobody")
	e.admin().do("GET", "/orgs/1/roles", "").expect(200).has("<name>migration</name>")
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dave := e.createUser("dave", "dave-pw")
	r := dave.do("POST", "/users/dave/apikeys", `<ns0:apiKeyPair `+ns+`/>`).expect(201).has("<publicKey>", "<secretKey>")
	pub, secret := r.field("publicKey"), r.field("secretKey")
	dave.do("GET", "/users/dave/apikeys", "").expect(200).has("<total>1</total>", pub)
	id := r.field("dbId")
	dave.do("PUT", "/users/dave/apikeys/"+id, `<ns0:apiKeyPair `+ns+`><name>ci</name></ns0:apiKeyPair>`).expect(200).has("<name>ci</name>")

	// A signed request, in Kiln's canonical form, authenticates as dave.
	signed, err := auth.SignURL(e.srv.URL+"/api/users/dave/appliances?query="+url.QueryEscape("name=='x'"), "/api", pub, secret)
	if err != nil {
		t.Fatal(err)
	}
	anon := e.anonymous()
	anon.do("GET", strings.TrimPrefix(signed, e.srv.URL+"/api"), "").expect(200).has("<total>0</total>")
	// A bad or missing signature is refused.
	tampered := strings.Replace(signed, "name", "nome", 1)
	anon.do("GET", strings.TrimPrefix(tampered, e.srv.URL+"/api"), "").uforgeError(401, "bad signature")
	anon.do("GET", "/users/dave/appliances?apiKey="+pub, "").uforgeError(401, "no signature")
	anon.do("GET", "/users/dave/appliances?apiKey=unknown&signature=abc", "").uforgeError(401, "API key")

	// Another user can neither list nor delete dave's keys.
	erin := e.createUser("erin", "erin-pw")
	erin.do("GET", "/users/dave/apikeys", "").uforgeError(403, "dave")
	erin.do("DELETE", "/users/dave/apikeys/"+id, "").uforgeError(403, "dave")
	dave.do("DELETE", "/users/dave/apikeys/"+id, "").expect(204)
	dave.do("DELETE", "/users/dave/apikeys/"+id, "").uforgeError(404, "does not exist")
	anon.do("GET", strings.TrimPrefix(signed, e.srv.URL+"/api"), "").uforgeError(401, "API key")
}
