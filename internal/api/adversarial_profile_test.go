package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// hostile is a value Kiln must refuse before storing it.
type hostile struct {
	name string
	body string // XML children of the root element, or a whole JSON document
	json bool
	// status is what the request must get (0: 400) and field what the
	// message must name.
	status int
	field  string
}

// in returns a copy of c reporting to t (see env.in).
func (c *client) in(t *testing.T) *client {
	d := *c
	d.e = c.e.in(t)
	return &d
}

// user is an install profile with one user made of the given elements.
func user(elems string) string { return `<users><user>` + elems + `</user></users>` }

// userJSON is the JSON install profile of one user with a field's value.
func userJSON(field, value string) string {
	return `{"installProfile":{"users":{"user":[{"name":"ops",` + strconv.Quote(field) + `:"` + value + `"}]}}}`
}

// partitions is a manual layout: a root partition and one more.
func partitions(extra string) string {
	return `<partitionAuto>false</partitionAuto><partitionTable><disks><disk><name>sda</name><size>10240</size><partitions>` +
		`<partition><name>root</name><mpoint>/</mpoint><fstype>ext4</fstype><size>4096</size></partition>` +
		`<partition><name>extra</name>` + extra + `</partition></partitions></disk></disks></partitionTable>`
}

const maxInt64 = "9223372036854775807"

func hostileProfiles() []hostile {
	big := strings.Repeat("a", 60<<10) // within the 64 KiB body limit of the test server
	return []hostile{
		// Paths that climb out of the image or into the kernel's.
		{name: "home climbing", body: user(`<name>ops</name><homeDir>../../etc</homeDir>`), field: "users/user[0].home"},
		{name: "home climbing from the root", body: user(`<name>ops</name><homeDir>/home/../../etc</homeDir>`), field: "users/user[0].home"},
		{name: "home in /proc", body: user(`<name>ops</name><homeDir>/proc/x</homeDir>`), field: "users/user[0].home"},
		{name: "mount point climbing", body: partitions(`<mpoint>../../etc</mpoint><fstype>ext4</fstype><size>1024</size>`), field: "partitions[1].mountPoint"},
		{name: "mount point climbing from the root", body: partitions(`<mpoint>/var/../../etc</mpoint><fstype>ext4</fstype><size>1024</size>`),
			field: "partitions[1].mountPoint"},
		{name: "mount point on /proc", body: partitions(`<mpoint>/proc</mpoint><fstype>ext4</fstype><size>1024</size>`),
			field: "partitions[1].mountPoint"},
		{name: "time zone climbing", body: `<timezone>Europe/../../etc/shadow</timezone>`, field: "timezone"},

		// NUL bytes (JSON can carry them; XML cannot).
		{name: "NUL in a user name", json: true, body: `{"installProfile":{"users":{"user":[{"name":"ops\u0000root"}]}}}`, field: "users/user[0].name"},
		{name: "NUL in a home", json: true, body: userJSON("homeDir", `/home/ops\u0000/x`), field: "users/user[0].home"},
		{name: "NUL in a kernel parameter", json: true, body: `{"installProfile":{"kernelParameters":"quiet\u0000init=/bin/sh"}}`,
			field: "kernelParameters"},
		{name: "NUL in XML", body: user(`<name>ops&#0;</name>`), field: "users/user[1]/name"},

		// Newlines: lines of passwd, group, authorized_keys and grub.cfg.
		{name: "newline in a user name", body: user(`<name>ops&#10;root</name>`), field: "users/user[0].name"},
		{name: "newline in a full name", body: user(`<name>ops</name><fullName>Ops&#10;root::0:0::/root:/bin/sh</fullName>`), field: "users/user[0].fullName"},
		{name: "newline in an SSH key", body: user(`<name>ops</name><sshKeys><sshKey><name>k</name><publicKey>ssh-ed25519 AAAAC3Nz ops&#10;ssh-rsa AAAAB3Nz evil</publicKey></sshKey></sshKeys>`),
			field: "users/user[0].sshKeys[0]"},
		{name: "newline in a group name", body: `<groups><group><name>ops&#10;root</name></group></groups>`, field: "groups/group[0].name"},
		{name: "newline in a password hash", body: user(`<name>ops</name><password>$6$salt$hash&#10;root::0:0</password><encrypted>true</encrypted>`),
			field: "users/user[0].passwordHash"},
		{name: "newline in secondary groups", body: user(`<name>ops</name><secondaryGroups>adm&#10;root</secondaryGroups>`), field: "secondaryGroups"},
		{name: "newline in a primary group", body: user(`<name>ops</name><primaryGroup>ops&#10;root</primaryGroup>`), field: "primaryGroup"},
		{name: "grub menu entry in a kernel parameter", body: `<kernelParameters>quiet&#10;}&#10;menuentry evil {</kernelParameters>`, field: "kernelParameters"},

		// Numbers out of range.
		{name: "disk size beyond int64", body: `<diskSize>99999999999999999999</diskSize>`, field: "diskSize"},
		{name: "huge disk size", body: `<diskSize>` + maxInt64 + `</diskSize>`, field: "diskSize"},
		{name: "huge swap size", body: `<swapSize>` + maxInt64 + `</swapSize>`, field: "swapSize"},
		{name: "huge memory size", body: `<memorySize>` + maxInt64 + `</memorySize>`, field: "memorySize"},
		{name: "huge user id", body: user(`<name>ops</name><userId>4294967296</userId>`), field: "users/user[0].uid"},
		{name: "huge group id", body: `<groups><group><name>ops</name><groupId>99999999999</groupId></group></groups>`, field: "groups/group[0].gid"},
		{name: "huge partition", body: partitions(`<mpoint>/srv</mpoint><fstype>ext4</fstype><size>` + maxInt64 + `</size>`),
			field: "partitions"},
		{name: "negative disk size", body: `<diskSize>-1</diskSize>`, field: "diskSize"},
		{name: "negative swap size", body: `<swapSize>-1</swapSize>`, field: "swapSize"},
		{name: "negative memory size", body: `<memorySize>-1</memorySize>`, field: "memorySize"},
		{name: "negative partition size", body: partitions(`<mpoint>/srv</mpoint><fstype>ext4</fstype><size>-100</size>`), field: "partitions[1].sizeMB"},
		{name: "negative user id", body: user(`<name>ops</name><userId>-1</userId>`), field: "users/user[0]/userId"},

		// Enormous strings: over the body limit, 413; within it, the field.
		{name: "1 MiB user name", body: user(`<name>` + strings.Repeat("a", 1<<20) + `</name>`), status: http.StatusRequestEntityTooLarge, field: "larger than"},
		{name: "60 KiB user name", body: user(`<name>` + big + `</name>`), field: "users/user[0].name"},
		{name: "60 KiB full name", body: user(`<name>ops</name><fullName>` + big + `</fullName>`), field: "users/user[0].fullName"},
		{name: "60 KiB kernel parameter", body: `<kernelParameters>` + big + `</kernelParameters>`, field: "kernelParameters"},

		// Accounts.
		{name: "relative shell", body: user(`<name>ops</name><shell>bash</shell>`), field: "users/user[0].shell"},
		{name: "unknown shell", body: user(`<name>ops</name><shell>/tmp/evilsh</shell>`), field: "users/user[0].shell"},
		{name: "duplicate users", body: `<users><user><name>ops</name></user><user><name>ops</name></user></users>`, field: "users/user[1].name"},
		{name: "duplicate groups", body: `<groups><group><name>ops</name></group><group><name>ops</name></group></groups>`, field: "groups/group[1].name"},
		{name: "a second root", body: user(`<name>root</name>`), field: "users/user[0].name"},
		{name: "uid 0", body: user(`<name>toor</name><userId>0</userId>`), field: "users/user[0]/userId"},
		{name: "gid 0", body: `<groups><group><name>wheel</name><groupId>0</groupId></group></groups>`, field: "groups/group[0]/groupId"},
	}
}

// TestAdversarialInstallProfile sends each hostile value to PUT
// …/installProfile of an appliance of the caller's own: 400 naming the field
// (413 over the body limit), and the stored appliance unchanged.
func TestAdversarialInstallProfile(t *testing.T) {
	t.Parallel()
	eachCase(t, hostileProfiles(), nil, func(t *testing.T, e *env, c *client, i int, h hostile) {
		aid := c.do("POST", "/users/alice/appliances", applianceXML("box-"+strconv.Itoa(i), "1.0")).expect(201).field("dbId")
		path := "/users/alice/appliances/" + aid + "/installProfile"
		h.refused(t, func() any { return e.appliance(t, aid) }, func() *reply {
			if h.json {
				return c.withJSON().do("PUT", path, h.body)
			}
			return c.do("PUT", path, `<ns0:installProfile `+ns+`>`+h.body+`</ns0:installProfile>`)
		})
	})
}

// eachCase runs one subtest per case on one fresh server, as alice (with
// roles, or a new user's when nil) reporting to the subtest.
func eachCase(t *testing.T, cases []hostile, roles []string, run func(t *testing.T, e *env, alice *client, i int, h hostile)) {
	t.Helper()
	e := newEnv(t)
	alice := e.createUser("alice", "alice-pw", roles...)
	for i, h := range cases {
		t.Run(h.name, func(t *testing.T) { run(t, e, alice.in(t), i, h) })
	}
}

// refused sends the request and asserts its refusal; read gives the stored rows the request must leave as they were.
func (h hostile) refused(t *testing.T, read func() any, send func() *reply) {
	t.Helper()
	before := read()
	h.check(t, send())
	if d := cmp.Diff(before, read()); d != "" {
		t.Errorf("the refused request changed the store (-before +after):\n%s", d)
	}
}

// check asserts the refusal.
func (h hostile) check(t *testing.T, r *reply) {
	t.Helper()
	status := h.status
	if status == 0 {
		status = http.StatusBadRequest
	}
	r.uforgeError(status, h.field)
}

// appliance reads the stored row of appliance aid of alice.
func (e *env) appliance(t *testing.T, aid string) any {
	t.Helper()
	ctx := context.Background()
	u, err := e.st.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.ParseInt(aid, 10, 64)
	a, err := e.st.GetAppliance(ctx, u.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
