package api_test

import (
	"testing"
)

// TestEveryGetInJSON reads every GET resource in JSON and checks the root is
// wrapped in its element name (the XML side is XSD-validated by every test).
func TestEveryGetInJSON(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.createUser("alice", "alice-pw")
	aid := templateWithOS(t, c, "web")
	img := c.do("POST", "/users/alice/appliances/"+aid+"/images", qcow2Request).expect(201).field("dbId")
	waitStatus(t, c, "/users/alice/appliances/"+aid+"/images/"+img+"/status")
	key := c.do("POST", "/users/alice/apikeys", `<ns0:apiKeyPair `+ns+`/>`).expect(201).field("dbId")
	base := "/users/alice/appliances/" + aid
	roots := map[string]string{
		"/status":                               "serviceStatus",
		"/users":                                "users",
		"/users/alice":                          "user",
		"/users/alice/roles":                    "roles",
		"/users/alice/orgs":                     "orgs",
		"/orgs/1":                               "org",
		"/users/alice/apikeys":                  "apiKeyPairs",
		"/users/alice/apikeys/" + key:           "apiKeyPair",
		"/distributions":                        "distributions",
		"/users/alice/distros":                  "distributions",
		"/distributions/2":                      "distribution",
		"/distributions/2/profiles":             "distribProfiles",
		"/distributions/2/profiles/3":           "linuxProfile",
		"/distributions/2/pkgs?query=name==vim": "packages",
		"/users/alice/targetformats":            "targetFormats",
		"/orgs/1/targetformats/1":               "targetFormat",
		"/users/alice/appliances":               "appliances",
		base:                                    "appliance",
		base + "/osprofile/" + aid:              "distribProfile",
		base + "/osprofile/" + aid + "/pkgs":    "packages",
		base + "/installProfile":                "installProfile",
		base + "/installProfile/" + aid:         "installProfile",
		base + "/images":                        "images",
		base + "/images/statuses":               "statuses",
		base + "/images/" + img:                 "image",
		base + "/images/" + img + "/status":     "status",
		base + "/images/" + img + "/pkgs":       "imagePkgs",
		"/users/alice/images":                   "images",
		"/users/alice/images/status":            "statuses",
	}
	for path, root := range roots {
		v := c.withJSON().do("GET", path, "").expect(200).jsonValue()
		if _, ok := v[root]; !ok || len(v) != 1 {
			t.Errorf("GET %s: JSON root is not {%q: …}: %v", path, root, keys(v))
		}
		// And the same resource in XML (validated against uforge.xsd at the end of the test).
		c.do("GET", path, "").expect(200).has("<ns0:" + root + " ")
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
