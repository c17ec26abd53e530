package api_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestStatusNeedsNoAuth(t *testing.T) {
	e := newEnv(t)
	e.anonymous().do("GET", "/status", "").expect(200).has("<ns0:serviceStatus "+ns, "<alive>true</alive>", "<version>3.8.13</version>")
	v := e.anonymous().withJSON().do("GET", "/status", "").expect(200).jsonValue()
	if v["serviceStatus"].(map[string]any)["version"] != "3.8.13" {
		t.Fatalf("json status: %v", v)
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	r := e.anonymous().do("GET", "/users/admin", "").uforgeError(401, "authentication required")
	if !strings.Contains(r.header.Get("WWW-Authenticate"), "Basic") {
		t.Fatal("401 without WWW-Authenticate")
	}
	e.as("admin", "wrong").do("GET", "/users/admin", "").uforgeError(401, "wrong login or password")
	e.as("nobody", "wrong").withJSON().do("GET", "/users/admin", "").uforgeError(401, "wrong login or password")
	e.admin().do("GET", "/users/admin", "").expect(200).has("<loginName>admin</loginName>", "<roles>", "<entitlement>")
}

func TestUnknownPathAndMethod(t *testing.T) {
	e := newEnv(t)
	e.admin().do("GET", "/nothing/here", "").uforgeError(404, "no resource")
	r := e.admin().do("PATCH", "/users/admin", "").uforgeError(405, "not allowed")
	if !strings.Contains(r.header.Get("Allow"), "GET") || !strings.Contains(r.header.Get("Allow"), "PUT") {
		t.Fatalf("Allow = %q", r.header.Get("Allow"))
	}
	e.admin().withJSON().do("DELETE", "/status", "").uforgeError(405, "not allowed")
}

func TestConditionalGet(t *testing.T) {
	e := newEnv(t)
	r := e.admin().do("GET", "/users/admin", "").expect(200)
	etag := r.header.Get("ETag")
	if etag == "" || r.header.Get("Last-Modified") == "" {
		t.Fatalf("missing ETag/Last-Modified: %v", r.header)
	}
	e.admin().doRaw("GET", "/users/admin", "", map[string]string{"If-None-Match": etag}).expect(http.StatusNotModified)
	e.admin().doRaw("GET", "/users/admin", "", map[string]string{"If-Modified-Since": r.header.Get("Last-Modified")}).expect(http.StatusNotModified)
	e.admin().doRaw("GET", "/users/admin", "", map[string]string{"If-None-Match": `"other"`}).expect(200)
	// The JSON representation has its own tag.
	j := e.admin().withJSON().do("GET", "/users/admin", "").expect(200)
	if j.header.Get("ETag") == etag {
		t.Fatal("XML and JSON share an ETag")
	}
}

func TestDistributions(t *testing.T) {
	e := newEnv(t)
	c := e.admin()
	c.do("GET", "/distributions", "").expect(200).has("<total>3</total>", "<name>Debian</name>", "<version>11</version>",
		"<version>12</version>", "<version>13</version>", "<arch>x86_64</arch>", `xsi:type="ns0:LinuxProfile"`)
	c.do("GET", "/users/admin/distros", "").expect(200).has("<total>3</total>")
	c.do("GET", "/distributions?query=version=='12'", "").expect(200).has("<total>1</total>", "<uri>distributions/2</uri>")
	c.do("GET", "/distributions/2", "").expect(200).has("<uri>distributions/2</uri>", "<lastPkgBuildDate>")
	c.do("GET", "/distributions/9", "").uforgeError(404, "distribution 9")
	c.do("GET", "/distributions/abc", "").uforgeError(400, "not an id")
	c.do("GET", "/distributions/2/profiles", "").expect(200).has("<name>Minimal</name>", "<name>Standard</name>")
	c.withJSON().do("GET", "/distributions/2/profiles", "").expect(200).has(`"distribProfiles":{"distribProfile":[`)

	c.do("GET", "/distributions/2/pkgs?query=name==openssh-server", "").expect(200).
		has("<name>openssh-server</name>", "1:9.2p1-2+deb12u5", "1:9.2p1-2+deb12u3").lacks("nginx")
	c.do("GET", "/distributions/2/pkgs?query=name=='nginx*'", "").expect(200).has("<name>nginx</name>", "<name>nginx-common</name>").lacks("vim")
	c.do("GET", "/distributions/2/pkgs?query=name==(", "").uforgeError(400, "query")
	c.do("GET", "/distributions/2/pkgs?query=section==net", "").uforgeError(400, "cannot be searched")
	// A distribution whose index is not loaded says so instead of answering empty.
	c.do("GET", "/distributions/1/pkgs", "").uforgeError(503, "not loaded")
}

func TestTargetFormats(t *testing.T) {
	e := newEnv(t)
	c := e.admin()
	r := c.do("GET", "/users/admin/targetformats", "").expect(200).
		has("<name>QCOW2</name>", "<name>Raw Virtual Disk</name>", "<name>VirtualBox</name>", "<name>Google Compute Engine</name>",
			"<category><name>Virtual</name>", "<format>", "<name>qcow2</name>")
	if n := strings.Count(r.body, "<targetFormat>"); n < 30 {
		t.Fatalf("only %d target formats", n)
	}
	c.do("GET", "/users/admin/targetformats?query=name=='QCOW2'", "").expect(200).has("<total>1</total>", "<active>true</active>")
	c.do("GET", "/users/admin/targetformats?query="+q("name=='Oracle Cloud'"), "").expect(200).has("<total>1</total>", "<active>false</active>")
	id := c.do("GET", "/users/admin/targetformats?query=name=='QCOW2'", "").field("dbId")
	c.do("GET", "/orgs/1/targetformats/"+id, "").expect(200).has("<name>QCOW2</name>", "<uri>orgs/1/targetformats/"+id+"</uri>")
	c.do("GET", "/orgs/1/targetformats", "").expect(200)
	c.do("GET", "/orgs/2/targetformats", "").uforgeError(404, "organization 2")
	c.withJSON().do("GET", "/users/admin/targetformats", "").expect(200).has(`{"targetFormats":{"total":`, `"targetFormats":{"targetFormat":[`)
}

func TestOrgs(t *testing.T) {
	e := newEnv(t)
	e.admin().do("GET", "/users/admin/orgs", "").expect(200).has("<uri>orgs/1</uri>", "<defaultOrg>true</defaultOrg>")
	e.admin().do("GET", "/orgs/1", "").expect(200)
	e.admin().do("GET", "/entitlements", "").expect(200).has("<name>image_generate</name>", "<name>migration_access</name>")
}
