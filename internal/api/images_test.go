package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kilnhq/kiln/internal/plan"
)

// templateWithOS creates an appliance with Debian 12 "Minimal" plus openssh-server.
func templateWithOS(t *testing.T, c *client, name string) string {
	t.Helper()
	r := c.do("POST", "/users/"+c.user+"/appliances", `<ns0:appliance `+ns+`><name>`+name+`</name><version>1.0</version>
		<distributionUri>distributions/2</distributionUri>
		<osProfile xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="ns0:LinuxProfile"><standardProfileUri>distributions/2/profiles/3</standardProfileUri></osProfile>
		</ns0:appliance>`).expect(201)
	id := r.field("dbId")
	c.do("PUT", "/users/"+c.user+"/appliances/"+id+"/osprofile/"+id+"/pkgs",
		`<ns0:packages `+ns+`><pkgs><pkg><name>openssh-server</name></pkg></pkgs></ns0:packages>`).expect(200)
	return id
}

const qcow2Request = `<ns0:image ` + ns + `><compress>true</compress><targetFormat><name>QCOW2</name></targetFormat>
	<installProfile><memorySize>1024</memorySize><diskSize>4096</diskSize></installProfile></ns0:image>`

// waitStatus polls like hammr (every 2 s there; faster here) until the status is terminal.
func waitStatus(t *testing.T, c *client, statusPath string) *reply {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := c.do("GET", statusPath, "").expect(200)
		if strings.Contains(r.body, "<complete>true</complete>") || strings.Contains(r.body, "<error>true</error>") ||
			strings.Contains(r.body, "<cancelled>true</cancelled>") {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("status never became terminal: %s", r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestImageGenerateAndDownload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.createUser("alice", "alice-pw")
	aid := templateWithOS(t, c, "web")
	base := "/users/alice/appliances/" + aid + "/images"

	// The ticket carries everything hammr reads at once (contract §4.1).
	r := c.do("POST", base, qcow2Request).expect(201).
		has("<status>", "<complete>false</complete>", "<error>false</error>", "<cancelled>false</cancelled>",
			"<percentage>", "<message>", "<fileSize>0</fileSize>", "<size>0</size>", "<compress>true</compress>",
			"<name>QCOW2</name>", "<format>", "<name>qcow2</name>", "<memorySize>1024</memorySize>",
			"<parentUri>users/alice/appliances/"+aid+"</parentUri>", "<revision>1</revision>", "<downloadKey>")
	id := r.field("dbId")
	uri := "users/alice/appliances/" + aid + "/images/" + id
	r.has("<uri>"+uri+"</uri>", "<statusUri>"+uri+"/status</statusUri>", "<downloadUri>"+uri+"/downloads?downloadId=")
	// An appliance without OS profile cannot be generated.
	st := waitStatus(t, c, base+"/"+id+"/status").has("<complete>true</complete>", "<percentage>100</percentage>")
	st.lacks("<errorMessage>")
	sp := e.gen.lastSpec()
	if sp.Install.Disk.SizeMB != 4096 || sp.Output.Format != "QCOW2" || !sp.Output.Compress || sp.Install.Hostname != "web" ||
		sp.Distribution.Release != "12" || sp.Distribution.Variant != "minbase" {
		t.Fatalf("spec = %+v", sp)
	}

	img := c.do("GET", base+"/"+id, "").expect(200).has("<imageCreated>true</imageCreated>", "<sha256sum>")
	if img.field("fileSize") == "0" {
		t.Fatal("fileSize still 0 after completion")
	}
	key := img.field("downloadKey")
	dl := e.anonymous()
	resp := rawGet(t, e.srv.URL+"/api/"+uri+"/downloads?downloadId="+key, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Length") == "" || resp.Header.Get("X-Checksum-Sha256") != img.field("sha256sum") {
		t.Fatalf("download: %d %v", resp.StatusCode, resp.Header)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.HasPrefix(string(body), "stand-in image of web") || itoa(len(body)) != img.field("fileSize") {
		t.Fatalf("downloaded %d bytes: %.40q", len(body), body)
	}
	// Single use: the same key again is refused; the image now shows a fresh one.
	dl.do("GET", "/"+uri+"/downloads?downloadId="+key, "").uforgeError(404, "works once")
	key2 := c.do("GET", base+"/"+id, "").field("downloadKey")
	if key2 == key {
		t.Fatal("the download key did not change after use")
	}
	// Range requests, on the named form of the download path.
	resp = rawGet(t, e.srv.URL+"/api/"+uri+"/downloads/web.qcow2?downloadId="+key2, map[string]string{"Range": "bytes=0-9"})
	part, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || string(part) != "stand-in i" {
		t.Fatalf("range: %d %q", resp.StatusCode, part)
	}
	dl.do("GET", "/"+uri+"/downloads", "").uforgeError(404, "no image download matches this link")

	// Listing: per appliance with FIQL, per user, statuses, packages.
	c.do("GET", base+"?query="+q("targetFormat.name=='QCOW2'"), "").expect(200).has("<total>1</total>")
	c.do("GET", base+"?query="+q("targetFormat.name=='VirtualBox'"), "").expect(200).has("<total>0</total>", "<images/>")
	c.do("GET", "/users/alice/images", "").expect(200).has("<total>1</total>", "<uri>"+uri+"</uri>")
	c.do("GET", "/users/alice/images?img="+q(uri), "").expect(200).has("<total>1</total>")
	c.do("GET", "/users/alice/images?img=users/alice/appliances/"+aid+"/images/999", "").expect(200).has("<total>0</total>")
	c.do("GET", "/users/alice/images/status?img="+q(uri), "").expect(200).has("<statuses>", "<complete>true</complete>")
	c.do("GET", base+"/statuses", "").expect(200).has("<total>1</total>")
	c.do("GET", base+"/"+id+"/pkgs", "").expect(200).has("<name>openssh-server</name>", "<level>0</level>", "<name>libc6</name>", "<level>1</level>")
	c.withJSON().do("GET", base+"/"+id, "").expect(200).has(`"image":{`, `"status":{`, `"complete":true`)
}

func TestImageRequestVariants(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.createUser("alice", "alice-pw")
	aid := templateWithOS(t, c, "web")
	base := "/users/alice/appliances/" + aid + "/images"
	// hammr sends the whole target format object it listed, in XML with ns1.
	tf := c.do("GET", "/users/alice/targetformats?query="+q("name=='Raw Virtual Disk'"), "").expect(200)
	tfID := tf.field("dbId")
	r := c.do("POST", base, `<ns1:image xmlns:ns1="http://www.usharesoft.com/uforge"><compress>true</compress><targetFormat><dbId>`+tfID+
		`</dbId><name>Raw Virtual Disk</name><format><name>raw</name></format><uri>orgs/1/targetformats/`+tfID+`</uri></targetFormat>
		<installProfile><memorySize>512</memorySize></installProfile></ns1:image>`).expect(201).has("<name>Raw Virtual Disk</name>")
	waitStatus(t, c, base+"/"+r.field("dbId")+"/status")
	// JSON, by name.
	c.withJSON().do("POST", base, `{"image":{"compress":false,"targetFormat":{"name":"QCOW2"}}}`).expect(201).has(`"compress":false`)

	c.do("POST", base, `<ns0:image `+ns+`><targetFormat><name>Oracle Cloud</name></targetFormat></ns0:image>`).uforgeError(400, "cannot be generated")
	// A Docker image runs on the host's kernel: no boot packages from the OS profile.
	dk := c.do("POST", base, `<ns0:image `+ns+`><targetFormat><name>Docker</name></targetFormat><entrypoint>["/usr/sbin/sshd","-D"]</entrypoint></ns0:image>`).expect(201)
	waitStatus(t, c, base+"/"+dk.field("dbId")+"/status")
	for _, p := range e.gen.specFor("Docker").Packages {
		if p.Name == "linux-image-amd64" || p.Name == "initramfs-tools" {
			t.Errorf("the Docker spec asks for %s", p.Name)
		}
	}
	if ep := e.gen.specFor("Docker").Output.Entrypoint; ep != `["/usr/sbin/sshd","-D"]` {
		t.Errorf("entrypoint %q", ep)
	}
	// A Vagrant box gets Vagrant's user convention in its spec.
	vb := c.do("POST", base, `<ns0:image `+ns+`><compress>true</compress><targetFormat><name>Vagrant Base Box</name></targetFormat></ns0:image>`).expect(201)
	waitStatus(t, c, base+"/"+vb.field("dbId")+"/status")
	if sp := e.gen.specFor("Vagrant Base Box"); sp == nil || len(sp.Install.Users) == 0 || sp.Install.Users[len(sp.Install.Users)-1].Name != "vagrant" {
		t.Fatalf("the Vagrant box spec has no vagrant user: %+v", sp.Install.Users)
	}
	c.do("POST", base, `<ns0:image `+ns+`><targetFormat><name>Commodore 64</name></targetFormat></ns0:image>`).uforgeError(400, "Commodore 64")
	c.do("POST", base, `<ns0:image `+ns+`><compress>true</compress></ns0:image>`).uforgeError(400, "targetFormat")
	c.do("POST", base, `<ns0:image `+ns+`><targetFormat><name>QCOW2</name></targetFormat><installProfile><diskSize>10</diskSize></installProfile></ns0:image>`).
		uforgeError(400, "diskSize")
	// An appliance without OS profile is refused.
	bare := c.do("POST", "/users/alice/appliances", applianceXML("bare", "1")).expect(201).field("dbId")
	c.do("POST", "/users/alice/appliances/"+bare+"/images", qcow2Request).uforgeError(400, "no OS profile")
	// Without image_generate, generation is forbidden and names the entitlement.
	viewer := e.createUser("viewer", "viewer-pw", "user")
	viewer.do("POST", "/users/viewer/appliances/1/images", qcow2Request).uforgeError(403, "image_generate")
	// Another user cannot generate from alice's appliance.
	bob := e.createUser("bob", "bob-pw")
	bob.do("POST", base, qcow2Request).uforgeError(403, "alice")
	bob.do("POST", "/users/bob/appliances/"+aid+"/images", qcow2Request).uforgeError(404, "does not exist")
}

func TestImageDuplicateCancelRegenerate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.createUser("alice", "alice-pw")
	aid := templateWithOS(t, c, "web")
	base := "/users/alice/appliances/" + aid + "/images"
	e.gen.holdRuns()
	first := c.do("POST", base, qcow2Request).expect(201).field("dbId")
	// A second generation of the same appliance and format while one runs: 409.
	c.do("POST", base, qcow2Request).uforgeError(409, "already being generated")
	// Cancel: the image stays listed as cancelled; cancelling again is a 409.
	c.do("DELETE", base+"/"+first+"/status", "").expect(200).has("<cancelled>true</cancelled>")
	c.do("GET", base+"/"+first+"/status", "").expect(200).has("<cancelled>true</cancelled>", "<complete>false</complete>")
	c.do("GET", base, "").expect(200).has("<total>1</total>")
	c.do("DELETE", base+"/"+first+"/status", "").uforgeError(409, "not being generated")
	// Download of a cancelled image is refused.
	key := c.do("GET", base+"/"+first, "").field("downloadKey")
	e.anonymous().do("GET", "/users/alice/appliances/"+aid+"/images/"+first+"/downloads?downloadId="+key, "").uforgeError(409, "not complete")

	// Regenerate: new id, revision + 1.
	second := c.do("POST", base+"/"+first, "").expect(201).has("<revision>2</revision>").field("dbId")
	if second == first {
		t.Fatal("regenerate reused the image id")
	}
	c.do("POST", base+"/"+first, "").uforgeError(409, "already being generated")
	third := c.do("POST", base+"/"+first+"?force=true", "").expect(201).has("<revision>3</revision>").field("dbId")
	waitStatus(t, c, base+"/"+second+"/status").has("<cancelled>true</cancelled>")
	e.gen.release()
	waitStatus(t, c, base+"/"+third+"/status").has("<complete>true</complete>")
	c.do("GET", base, "").expect(200).has("<total>3</total>")

	// Delete one, then all.
	c.do("DELETE", base+"/"+second, "").expect(204)
	c.do("GET", base+"/"+second, "").uforgeError(404, "does not exist")
	c.do("DELETE", base, "").expect(204)
	c.do("GET", base, "").expect(200).has("<total>0</total>")
	c.do("POST", base+"/"+third, "").uforgeError(404, "does not exist")
}

func TestImageGenerationError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.createUser("alice", "alice-pw")
	aid := templateWithOS(t, c, "web")
	base := "/users/alice/appliances/" + aid + "/images"
	e.gen.failWith("mmdebstrap: E: Unable to locate package frobnicate")
	id := c.do("POST", base, qcow2Request).expect(201).field("dbId")
	waitStatus(t, c, base+"/"+id+"/status").has("<error>true</error>", "<errorMessage>", "frobnicate", "<detailedErrorMsg>", "<message>Generation failed</message>")
	// Not compressed: generated, but not downloadable.
	e.gen.failWith("")
	id2 := c.withJSON().do("POST", base, `{"image":{"compress":false,"targetFormat":{"name":"Raw Virtual Disk"}}}`).expect(201).jsonValue()
	rid := jsonID(id2["image"].(map[string]any))
	waitStatus(t, c, base+"/"+rid+"/status")
	img := c.do("GET", base+"/"+rid, "").expect(200).lacks("<downloadKey>")
	_ = img
}

func rawGet(t *testing.T, url string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestRegenerateReplansOrReproduces: regenerate plans the earlier request
// against the appliance as it is now; ?reproduce=true executes the stored
// plan unchanged.
func TestRegenerateReplansOrReproduces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.createUser("alice", "alice-pw")
	aid := templateWithOS(t, c, "web")
	base := "/users/alice/appliances/" + aid + "/images"
	first := c.do("POST", base, qcow2Request).expect(201).field("dbId")
	waitStatus(t, c, base+"/"+first+"/status").has("<complete>true</complete>")
	original := e.gen.lastPlan()
	if hasPackage(original, "vim") {
		t.Fatal("the first plan already has vim")
	}

	// The appliance changes: regenerate builds it as it is now, with the
	// first request's overrides (disk size, compress).
	c.do("PUT", "/users/alice/appliances/"+aid+"/osprofile/"+aid+"/pkgs",
		`<ns0:packages `+ns+`><pkgs><pkg><name>openssh-server</name></pkg><pkg><name>vim</name></pkg></pkgs></ns0:packages>`).expect(200)
	second := c.do("POST", base+"/"+first, "").expect(201).has("<revision>2</revision>", "<compress>true</compress>").field("dbId")
	waitStatus(t, c, base+"/"+second+"/status").has("<complete>true</complete>")
	replanned := e.gen.lastPlan()
	if !hasPackage(replanned, "vim") || replanned.Spec.Install.Disk.SizeMB != 4096 || !replanned.Artifact.Compress {
		t.Errorf("regenerate did not plan the request against the current appliance: packages %v, disk %d MiB, compress %v",
			replanned.Packages, replanned.Spec.Install.Disk.SizeMB, replanned.Artifact.Compress)
	}

	// Reproduce: the stored plan of the first image, to the disk identifiers.
	third := c.do("POST", base+"/"+first+"?reproduce=true", "").expect(201).has("<revision>3</revision>").field("dbId")
	waitStatus(t, c, base+"/"+third+"/status").has("<complete>true</complete>")
	if d := cmp.Diff(original, e.gen.lastPlan()); d != "" {
		t.Errorf("reproduce changed the plan (-first +reproduced):\n%s", d)
	}
	c.do("POST", base+"/"+first+"?reproduce=maybe", "").uforgeError(400, "reproduce")

	// Without an OS profile the appliance cannot be planned again, as a
	// generation would be refused; its stored plans can still be reproduced.
	c.do("DELETE", "/users/alice/appliances/"+aid+"/osprofile/"+aid, "").expect(204)
	c.do("POST", base+"/"+first, "").uforgeError(400, "no OS profile")
	fourth := c.do("POST", base+"/"+second+"?reproduce=true", "").expect(201).field("dbId")
	waitStatus(t, c, base+"/"+fourth+"/status").has("<complete>true</complete>")
	if !hasPackage(e.gen.lastPlan(), "vim") {
		t.Error("reproducing the second image lost its package set")
	}
}

func hasPackage(p *plan.Plan, name string) bool {
	for _, pk := range p.Packages {
		if pk.Name == name {
			return true
		}
	}
	return false
}
