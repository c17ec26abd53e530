package api_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"time"

	"github.com/kilnhq/kiln/internal/record"
)

// scanReport is what `kiln scan` uploads for a small Debian 12 machine.
func scanReport(t *testing.T, versionID string) []byte {
	t.Helper()
	rep := record.ScanReport{ScannedAt: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), Root: "/", Live: true, Hostname: "web-01",
		Distribution: record.ScanDistribution{ID: "debian", VersionID: versionID, Codename: "bookworm", Arch: "amd64"},
		Packages: []record.ScanPackage{{Name: "openssh-server", Version: "1:9.2p1-2+deb12u3", Arch: "amd64"},
			{Name: "nginx", Version: "1.22.1-7", Arch: "amd64"}, {Name: "libfoo", Version: "1.0", Arch: "i386"},
			{Name: "inhouse-tool", Version: "3.1", Arch: "amd64"}},
		Profile: record.ScanProfile{Hostname: "web-01", Timezone: "Europe/Paris", Locale: "C.UTF-8",
			RootPasswordHash: "$6$salt$8fKZheAmUG74NGfaJpvK1.AJmpQGR6WImZNOujEc5MmS2wF3vsIdpMxL8LbKIXlytaqRZz0Zlat1pEajc36eP/",
			Users:            []record.ScanUser{{Name: "ops", UID: 1000, GID: 1000, PrimaryGroup: "ops", Home: "/home/ops", Shell: "/bin/bash"}},
			Groups:           []record.ScanGroup{{Name: "ops", GID: 1000}}, SwapBytes: 512 << 20,
			Filesystems: []record.ScanFilesystem{{MountPoint: "/", FSType: "ext4", SizeBytes: 8 << 30}},
			Kernel:      []string{"net.ifnames=0"},
			KernelDropped: []record.DroppedParameter{{Parameter: "rdinit=/process_api", Reason: "the old platform's init"},
				{Parameter: "console=ttyS0", Reason: "consoles belong to the target"}}},
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type tarEntry struct {
	hdr  tar.Header
	body string
}

func makeTar(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if e.body != "" {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func goodOverlay(t *testing.T) []byte {
	return makeTar(t,
		tarEntry{hdr: tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}},
		tarEntry{hdr: tar.Header{Name: "etc/nginx/", Typeflag: tar.TypeDir, Mode: 0o755}},
		tarEntry{hdr: tar.Header{Name: "etc/nginx/nginx.conf", Uname: "root", Gname: "root"}, body: "worker_processes 4;\n"},
		tarEntry{hdr: tar.Header{Name: "opt/app/run.sh", Mode: 0o755, Uid: 1000, Gid: 1000, Uname: "ops", Gname: "ops"}, body: "#!/bin/sh\necho run\n"},
		tarEntry{hdr: tar.Header{Name: "etc/alternatives/editor", Typeflag: tar.TypeSymlink, Linkname: "/usr/bin/vim.basic"}},
	)
}

func crcHex(b []byte) string { return fmt.Sprintf("%08x", crc32.ChecksumIEEE(b)) }

// newScan creates an instance named name for c and uploads a report to it,
// returning the scan's path.
func newScan(t *testing.T, c *client, name string) string {
	t.Helper()
	r := c.do("POST", "/users/"+c.user+"/scannedinstances", `<ns0:scannedInstance `+ns+`><name>`+name+`</name>
		<distribution><name>Debian</name><version>12</version><arch>x86_64</arch></distribution><overlayIncluded>true</overlayIncluded></ns0:scannedInstance>`).expect(201)
	siid := r.field("dbId")
	report := scanReport(t, "12")
	r = c.doRaw("POST", "/users/"+c.user+"/scannedinstances/"+siid+"/scans?crc="+crcHex(report)+"&reportFileName=report.json",
		string(report), map[string]string{"Content-Type": "application/octet-stream"}).expect(201).
		has("<complete>false</complete>", "<overlayUri>users/"+c.user+"/scannedinstances/"+siid+"/scans/")
	return "/users/" + c.user + "/scannedinstances/" + siid + "/scans/" + r.field("dbId")
}

func migrationUser(t *testing.T, e *env, login string) *client {
	t.Helper()
	c := e.createUser(login, login+"-pw")
	c.do("GET", "/users/"+login+"/scannedinstances", "").uforgeError(403, "migration_access")
	e.admin().do("PUT", "/users/"+login+"/roles", `<ns0:roles `+ns+`><roles><role><name>designer</name></role><role><name>user</name></role>`+
		`<role><name>migration</name></role></roles></ns0:roles>`).expect(200)
	return c
}

func TestScanUploadAndOverlay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := migrationUser(t, e, "alice")
	scanPath := newScan(t, c, "web-01")
	// The name joins an existing instance: creating it again is a conflict.
	c.do("POST", "/users/alice/scannedinstances", `<ns0:scannedInstance `+ns+`><name>web-01</name>
		<distribution><version>12</version></distribution></ns0:scannedInstance>`).uforgeError(409, "web-01")
	c.do("GET", "/users/alice/scannedinstances?name=web-01&includeScans=true", "").expect(200).
		has("<overlayIncluded>true</overlayIncluded>", "<scans><scan>", "<totalScans>1</totalScans>")

	// Chunked upload: two chunks, a wrong offset, a retransmission, HEAD for the resume point.
	ov := goodOverlay(t)
	half := len(ov) / 2
	post := func(query string, body []byte) *reply {
		return c.doRaw("POST", scanPath+"/overlay?"+query, string(body), map[string]string{"Content-Type": "application/octet-stream"})
	}
	post("offset=0&crc="+crcHex(ov[:half]), ov[:half]).expect(201)
	if got := c.doRaw("HEAD", scanPath+"/overlay", "", nil).expect(200).header.Get("X-Kiln-Overlay-Received"); got != strconv.Itoa(half) {
		t.Fatalf("resume point %q, want %d", got, half)
	}
	r := post("offset="+strconv.Itoa(half+10)+"&crc="+crcHex(ov[half:]), ov[half:]).uforgeError(409, "continue at")
	if r.header.Get("X-Kiln-Overlay-Received") != strconv.Itoa(half) {
		t.Fatalf("409 without the resume point: %v", r.header)
	}
	post("offset=0&crc="+crcHex(ov[:half]), ov[:half]).expect(201) // a retry whose answer was lost
	post("offset="+strconv.Itoa(half)+"&crc=deadbeef", ov[half:]).uforgeError(400, "crc")
	sum := sha256.Sum256(ov)
	post(fmt.Sprintf("offset=%d&crc=%s&complete=true&size=%d&sha256=%s", half, crcHex(ov[half:]), len(ov), hex.EncodeToString(sum[:])), ov[half:]).expect(201)
	c.do("GET", scanPath, "").expect(200).has("<complete>true</complete>", "<percentage>100</percentage>", "<validated>true</validated>")
	post("offset="+strconv.Itoa(len(ov)), []byte("more")).uforgeError(409, "takes no more")

	// What the scan found, and the overlay back.
	c.do("GET", scanPath+"?pkgs=true", "").expect(200).has("<name>openssh-server</name>", "<totalPackages>4</totalPackages>")
	c.do("GET", scanPath+"/packages", "").expect(200).has("<version>1.22.1-7</version>")
	c.do("GET", scanPath+"/installProfile", "").expect(200).has("<diskSize>8192</diskSize>", "<swapSize>512</swapSize>",
		"<timezone>Europe/Paris</timezone>", "<name>ops</name>")
	c.do("GET", scanPath+"/files", "").expect(200).has("<fullPath>/etc/nginx/nginx.conf</fullPath>",
		"<fullPath>/opt/app/run.sh</fullPath>", "<owner>ops</owner>", "<linkTarget>/usr/bin/vim.basic</linkTarget>")
	c.do("GET", scanPath+"/files?dir=/etc/nginx&rellevel=1", "").expect(200).has("nginx.conf").lacks("run.sh")
	if got := c.do("GET", scanPath+"/overlay", "").expect(200); got.body != string(ov) {
		t.Fatalf("overlay download differs (%d bytes, want %d)", len(got.body), len(ov))
	}

	// Another user sees none of it.
	bob := migrationUser(t, e, "bob")
	bob.do("GET", strings.Replace(scanPath, "alice", "bob", 1), "").uforgeError(404, "does not exist")
	bob.do("GET", scanPath, "").uforgeError(403, "alice")
}

func TestScanBadReports(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := migrationUser(t, e, "alice")
	r := c.do("POST", "/users/alice/scannedinstances", `<ns0:scannedInstance `+ns+`><name>box</name>
		<distribution><version>12</version></distribution></ns0:scannedInstance>`).expect(201)
	base := "/users/alice/scannedinstances/" + r.field("dbId") + "/scans"
	raw := func(query, body string) *reply {
		return c.doRaw("POST", base+query, body, map[string]string{"Content-Type": "application/octet-stream"})
	}
	report := scanReport(t, "12")
	raw("?crc=0badc0de", string(report)).uforgeError(400, "crc")
	raw("", "not json").uforgeError(400, "not a Kiln scan report")
	raw("", `{"distribution":{"id":"fedora","versionId":"40"},"packages":[{"name":"x"}]}`).uforgeError(400, "Debian systems only")
	raw("", string(scanReport(t, "10"))).uforgeError(400, "not supported")
	raw("", `{"unknownField":1}`).uforgeError(400, "unknown field")
	// An account whose home is under var/run -> /run (issue 12).
	hostile := bytes.Replace(report, []byte(`"/home/ops"`), []byte(`"/var/run/lock/kiln"`), 1)
	raw("", string(hostile)).uforgeError(400, "the scanned account ops cannot be recreated: home")
	// A system account's home (sys's /dev) is only written into /etc/passwd,
	// never made: such a report is accepted.
	var rep record.ScanReport
	if err := json.Unmarshal(report, &rep); err != nil {
		t.Fatal(err)
	}
	rep.Profile.Users = append(rep.Profile.Users, record.ScanUser{Name: "sys", UID: 3, GID: 3, PrimaryGroup: "sys", Home: "/dev",
		Shell: "/usr/sbin/nologin", System: true})
	rep.Profile.Groups = append(rep.Profile.Groups, record.ScanGroup{Name: "sys", GID: 3, System: true})
	system, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	raw("", string(system)).expect(201)
	c.do("POST", "/users/alice/scannedinstances", `<ns0:scannedInstance `+ns+`><name>c7</name>
		<distribution><name>CentOS</name><version>7</version></distribution></ns0:scannedInstance>`).uforgeError(400, "Debian")
	c.do("GET", base, "").expect(200).has("<total>1</total>") // the refused reports left nothing
}

// TestScanHostileOverlays uploads each kind of hostile archive: each is
// refused with a message naming the problem and the scan ends in error. The
// server never extracts an overlay on upload; generation applies it with the
// same checks (internal/overlay).
func TestScanHostileOverlays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := migrationUser(t, e, "alice")
	cases := map[string][]byte{
		"absolute path":  makeTar(t, tarEntry{hdr: tar.Header{Name: "/etc/passwd"}, body: "x"}),
		"dot-dot":        makeTar(t, tarEntry{hdr: tar.Header{Name: "etc/../../escape"}, body: "x"}),
		"device node":    makeTar(t, tarEntry{hdr: tar.Header{Name: "dev/sda", Typeflag: tar.TypeBlock, Devmajor: 8}}),
		"symlink escape": makeTar(t, tarEntry{hdr: tar.Header{Name: "etc/evil", Typeflag: tar.TypeSymlink, Linkname: "/"}}, tarEntry{hdr: tar.Header{Name: "etc/evil/root/.ssh/authorized_keys"}, body: "x"}),
		"hard link out":  makeTar(t, tarEntry{hdr: tar.Header{Name: "etc/shadow-link", Typeflag: tar.TypeLink, Linkname: "/etc/shadow"}}),
		"not a tar":      bytes.Repeat([]byte("garbage!"), 200),
	}
	for name, ov := range cases {
		scanPath := newScan(t, c, strings.ReplaceAll(name, " ", "-"))
		c.doRaw("POST", scanPath+"/overlay", string(ov), map[string]string{"Content-Type": "application/octet-stream"}).
			uforgeError(400, "rejected")
		c.do("GET", scanPath, "").expect(200).has("<error>true</error>", "<errorMessage>")
		c.do("POST", scanPath+"/images", `<ns0:image `+ns+`><targetFormat><name>QCOW2</name></targetFormat></ns0:image>`).
			uforgeError(409, "only a complete scan")
	}
}

func TestScanImages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := migrationUser(t, e, "alice")
	scanPath := newScan(t, c, "web-01")
	c.do("POST", scanPath+"/images", `<ns0:image `+ns+`><targetFormat><name>QCOW2</name></targetFormat></ns0:image>`).
		uforgeError(409, "only a complete scan")
	ov := goodOverlay(t)
	c.doRaw("POST", scanPath+"/overlay", string(ov), map[string]string{"Content-Type": "application/octet-stream"}).expect(201)

	// The seed's request (contract §4.1) with a disk size and a swap override.
	req := `<ns0:image ` + ns + `><compress>true</compress><targetFormat><name>VirtualBox</name></targetFormat>
		<installProfile><memorySize>512</memorySize><diskSize>10240</diskSize><swapSize>256</swapSize></installProfile></ns0:image>`
	r := c.do("POST", scanPath+"/images", req).expect(201).has("<complete>false</complete>", "<name>VirtualBox</name>",
		"<parentUri>"+strings.TrimPrefix(scanPath, "/")+"</parentUri>", "<memorySize>512</memorySize>")
	id := r.field("dbId")
	uri := strings.TrimPrefix(scanPath, "/") + "/images/" + id
	r.has("<uri>"+uri+"</uri>", "<statusUri>"+uri+"/status</statusUri>")
	// The mirror's index (the test env has openssh-server and nginx) decides versions.
	r.has("not on the mirror")
	waitStatus(t, c, scanPath+"/images/"+id+"/status").has("<complete>true</complete>")
	sp := e.gen.specFor("VirtualBox")
	if sp.Overlay == nil || sp.Overlay.Size != int64(len(ov)) || sp.Install.Disk.SizeMB != 10240 || sp.Install.Disk.SwapMB != 256 ||
		sp.Install.Timezone != "Europe/Paris" || len(sp.Install.Users) != 1 || sp.Install.Users[0].Name != "ops" {
		t.Fatalf("spec from the scan: %+v", sp)
	}
	pins := map[string]string{}
	for _, p := range sp.Packages {
		pins[p.Name] = p.Version
	}
	if v, ok := pins["openssh-server"]; !ok || v != "1:9.2p1-2+deb12u3" {
		t.Errorf("openssh-server pinned to %q: the mirror has the scanned version", v)
	}
	if v, ok := pins["nginx"]; !ok || v != "" {
		t.Errorf("nginx %q: the mirror lacks 1.22.1-7, so the newest is taken", v)
	}
	if _, ok := pins["inhouse-tool"]; ok {
		t.Errorf("a package the mirror does not have was requested")
	}
	c.do("GET", scanPath+"/images", "").expect(200).has("<uri>" + uri + "</uri>")
	c.do("GET", "/users/alice/images", "").expect(200).has("<uri>" + uri + "</uri>")
	// The fidelity report joins what the scan left out of the command line.
	c.withJSON().do("GET", scanPath+"/images/"+id+"/fidelity", "").expect(200).
		has(`"kernelParametersDropped":[{"parameter":"rdinit=/process_api"`, `"console=ttyS0"`)
	if got := sp.Install.KernelParameters; len(got) != 1 || got[0] != "net.ifnames=0" {
		t.Errorf("kernel parameters from the scan: %v", got)
	}
	got := c.do("GET", scanPath+"/images/"+id, "").expect(200)
	dl := e.anonymous().do("GET", "/"+strings.TrimPrefix(got.field("downloadUri"), "/"), "")
	if dl.status != http.StatusOK {
		t.Fatalf("download of a scan image: %d %s", dl.status, dl.body)
	}

	// Regenerate (a Kiln extension for scans): the scan never changes, so the
	// stored plan runs again, with or without reproduce.
	first := e.gen.lastPlan()
	for i, query := range []string{"", "?reproduce=true"} {
		again := c.do("POST", scanPath+"/images/"+id+query, "").expect(201).has(fmt.Sprintf("<revision>%d</revision>", i+2)).field("dbId")
		waitStatus(t, c, scanPath+"/images/"+again+"/status").has("<complete>true</complete>")
		if d := cmp.Diff(first, e.gen.lastPlan()); d != "" {
			t.Errorf("regenerate%s of a scan image changed its plan:\n%s", query, d)
		}
	}
	e.gen.holdRuns()
	held := c.do("POST", scanPath+"/images/"+id, "").expect(201).field("dbId")
	c.do("POST", scanPath+"/images/"+id, "").uforgeError(409, "already being generated")
	forced := c.do("POST", scanPath+"/images/"+id+"?force=true", "").expect(201).field("dbId")
	waitStatus(t, c, scanPath+"/images/"+held+"/status").has("<cancelled>true</cancelled>")
	e.gen.release()
	waitStatus(t, c, scanPath+"/images/"+forced+"/status").has("<complete>true</complete>")
	bob := migrationUser(t, e, "bob")
	bob.do("POST", scanPath+"/images/"+id, "").uforgeError(403, "alice")

	// The user may replace the kept parameters before generating.
	kp := c.do("POST", scanPath+"/images", `<ns0:image `+ns+`><targetFormat><name>QCOW2</name></targetFormat>`+
		`<installProfile><kernelParameters>net.ifnames=0 audit=1</kernelParameters></installProfile></ns0:image>`).expect(201).field("dbId")
	waitStatus(t, c, scanPath+"/images/"+kp+"/status").has("<complete>true</complete>")
	if got := e.gen.lastPlan().Spec.Install.KernelParameters; strings.Join(got, " ") != "net.ifnames=0 audit=1" {
		t.Errorf("kernel parameters of the request: %v", got)
	}
	c.do("POST", scanPath+"/images", `<ns0:image `+ns+`><targetFormat><name>Raw Virtual Disk</name></targetFormat>`+
		`<installProfile><kernelParameters>quiet&#10;init=/bin/sh</kernelParameters></installProfile></ns0:image>`).uforgeError(400, "kernelParameters")
	c.do("POST", scanPath+"/images", strings.Replace(req, "<swapSize>256</swapSize>", "<swapSize>0</swapSize>", 1)).
		uforgeError(400, "swapSize")
	// Deleting the scan deletes its images.
	c.do("DELETE", scanPath, "").expect(204)
	c.do("GET", "/users/alice/images", "").expect(200).lacks(uri)
	c.do("GET", scanPath, "").uforgeError(404, "does not exist")
}
