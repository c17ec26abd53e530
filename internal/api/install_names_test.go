package api_test

import (
	"encoding/json"
	"testing"

	"github.com/kilnhq/kiln/internal/record"
)

// TestInstallProfileCheckedAsTheBuildChecksIt: a time zone, locale or
// partition layout the build would fail on minutes in is refused at the API
// with 400 naming the field, and nothing is stored.
func TestInstallProfileCheckedAsTheBuildChecksIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.createUser("alice", "alice-pw")
	id := c.do("POST", "/users/alice/appliances", applianceXML("web", "1.0")).expect(201).field("dbId")
	base := "/users/alice/appliances/" + id
	huge := "4611686018427387904" // 2^62 MiB: three of them wrap int64 around to a total that fits
	for frag, want := range map[string]string{
		`<timezone>Mars/Olympus</timezone>`:  "timezone",
		`<timezone>Europe/Pariss</timezone>`: "timezone",
		`<timezone>Local</timezone>`:         "timezone",
		`<partitionAuto>false</partitionAuto><partitionTable><disks><disk><name>sda</name><size>10240</size><partitions>` +
			`<partition><fstype>ext4</fstype><mpoint>/</mpoint><size>` + huge + `</size></partition>` +
			`<partition><fstype>ext4</fstype><mpoint>/var</mpoint><size>` + huge + `</size></partition>` +
			`<partition><fstype>ext4</fstype><mpoint>/srv</mpoint><size>` + huge + `</size></partition>` +
			`</partitions></disk></disks></partitionTable>`: "partitions",
	} {
		c.do("PUT", base+"/installProfile", `<ns0:installProfile `+ns+`>`+frag+`</ns0:installProfile>`).uforgeError(400, want)
	}
	c.do("GET", base+"/installProfile", "").expect(200).has("<timezone>Etc/UTC</timezone>", "<partitionAuto>true</partitionAuto>")
	c.do("PUT", base+"/installProfile", `<ns0:installProfile `+ns+`><timezone>America/Argentina/Buenos_Aires</timezone></ns0:installProfile>`).
		expect(200).has("<timezone>America/Argentina/Buenos_Aires</timezone>")
}

// TestScanImageNamesChecked: a scan whose report names a time zone or
// locale no image can have is refused when an image is asked of it, not
// minutes into the build.
func TestScanImageNamesChecked(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := migrationUser(t, e, "alice")
	for i, bad := range []func(*record.ScanProfile){
		func(p *record.ScanProfile) { p.Timezone = "Mars/Olympus" },
		func(p *record.ScanProfile) { p.Locale = "xx_XX.UTF-8" },
	} {
		r := c.do("POST", "/users/alice/scannedinstances", `<ns0:scannedInstance `+ns+`><name>m`+itoa(i)+`</name>
			<distribution><name>Debian</name><version>12</version><arch>x86_64</arch></distribution></ns0:scannedInstance>`).expect(201)
		siid := r.field("dbId")
		var rep record.ScanReport
		if err := json.Unmarshal(scanReport(t, "12"), &rep); err != nil {
			t.Fatal(err)
		}
		bad(&rep.Profile)
		report, _ := json.Marshal(rep)
		scanPath := "/users/alice/scannedinstances/" + siid + "/scans/" +
			c.doRaw("POST", "/users/alice/scannedinstances/"+siid+"/scans?crc="+crcHex(report), string(report),
				map[string]string{"Content-Type": "application/octet-stream"}).expect(201).field("dbId")
		ov := goodOverlay(t)
		c.doRaw("POST", scanPath+"/overlay?offset=0&complete=true", string(ov), map[string]string{"Content-Type": "application/octet-stream"}).expect(201)
		c.do("POST", scanPath+"/images", `<ns0:image `+ns+`><compress>true</compress><targetFormat><name>QCOW2</name></targetFormat>
			<installProfile><diskSize>10240</diskSize></installProfile></ns0:image>`).uforgeError(400, []string{"timezone", "locale"}[i])
	}
	if got := usage(t, e, "alice"); got.Images != 0 {
		t.Fatalf("%d images stored for refused scans", got.Images)
	}
}
