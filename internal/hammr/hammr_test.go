package hammr

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/target"
	"github.com/kilnhq/kiln/internal/uforge"
	"github.com/kilnhq/kiln/internal/uforge/xsdtest"
)

// examples returns the directory of hammr's example files, from the UForge reference material
// (skipped without it).
func examples(t *testing.T) string {
	t.Helper()
	return xsdtest.Reference(t, "hammr-examples")
}

// kilnDistros is what GET /users/{uid}/distros answers on Kiln.
func kilnDistros() []uforge.Distribution {
	var out []uforge.Distribution
	for i, v := range []string{"11", "12", "13"} {
		id := int64(i + 1)
		d := uforge.Distribution{Name: uforge.Str("Debian"), Version: uforge.Str(v), Arch: uforge.Str("x86_64"),
			URI: uforge.Str("distributions/" + v)}
		d.DBID = &id
		for j, p := range []string{"Minimal", "Standard"} {
			var lp uforge.LinuxProfile
			lp.Name = uforge.Str(p)
			lp.URI = uforge.Str("distributions/" + v + "/profiles/" + string(rune('1'+2*i+j)))
			d.Profiles = append(d.Profiles, lp)
		}
		out = append(out, d)
	}
	return out
}

func kilnFormats() []uforge.TargetFormat {
	var out []uforge.TargetFormat
	for _, f := range target.All() {
		out = append(out, uforge.TargetFormat{Name: uforge.Str(f.Name), Format: &uforge.ImageFormat{Name: uforge.Str(f.Format)},
			Active: uforge.Bool(f.Active)})
	}
	return out
}

func exampleFiles(t *testing.T, dir string) []string {
	t.Helper()
	pattern := filepath.Join(examples(t), dir, "*.json")
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no hammr examples match %s: %v", pattern, err)
	}
	return files
}

// Every example template parses; as written (CentOS 6.4) Kiln refuses it
// naming the distribution; with Debian 12 instead it is accepted, and every
// part Kiln cannot honour is named in a warning.
func TestExampleTemplates(t *testing.T) {
	want := map[string][]string{ // file → fragments of the warnings (none: accepted as is)
		"base-template.json":                          nil,
		"bundles-template.json":                       {`stack.bundles ("wordpress")`, "mysoftware"},
		"config-template.json":                        {`stack.config ("configure-mysql.sh", "check-stats.sh")`, "boot scripts"},
		"installation-base-template.json":             nil,
		"installation-partitioning-1-template.json":   nil,
		"installation-partitioning-2-template.json":   nil,
		"installation-partitioning-3-template.json":   {"extended partition sda3 become plain partitions"},
		"installation-partitioning-4-template.json":   {"LVM volume groups (\"grp1\")", "LVM logical volumes (\"vol1\", \"vol2\")", "LVM physical volume sda5", "disk sdb of type lvm", "a second disk (sdb)", "automatic layout (root and swap) is used on a 12288 MB disk"},
		"installation-rootuser-sshkeys-template.json": nil,
		"installation-rootuser-template.json":         nil,
		"installation-usersgroups-template.json":      nil,
		"os-pkgs-sticky-template.json":                {`pkgs[0] (php): arch i686 is not the distribution's`, `pkgs[2] (php-common): fullName "php-common-5.5.3-23.el6_4-i686" is not read`},
		"os-pkgs-template.json":                       nil,
	}
	for _, path := range exampleFiles(t, "template") {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			frags, known := want[name]
			if !known {
				t.Fatalf("new example %s: add its expectations", name)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tpl, warns, err := ParseTemplate(name, data)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if len(warns) > 0 {
				t.Errorf("unknown keys: %q", warns)
			}
			if _, err := tpl.Plan(kilnDistros()); err == nil || !strings.Contains(err.Error(), `distribution "CentOS 6.4 x86_64" is not offered`) {
				t.Errorf("CentOS: err = %v", err)
			}
			tpl.Stack.OS.Name, tpl.Stack.OS.Version, tpl.Stack.OS.Arch = "Debian", "12", "x86_64"
			p, err := tpl.Plan(kilnDistros())
			if err != nil {
				t.Fatalf("Debian 12: %v", err)
			}
			all := strings.Join(p.Warnings, "\n")
			if frags == nil && len(p.Warnings) > 0 {
				t.Errorf("unexpected warnings:\n%s", all)
			}
			for _, f := range frags {
				if !strings.Contains(all, f) {
					t.Errorf("warnings lack %q:\n%s", f, all)
				}
			}
			if uforge.StrValue(p.Appliance.Name) != "CentOS Base" || uforge.StrValue(p.Appliance.OSProfile.StandardProfileURI) != "distributions/12/profiles/3" {
				t.Errorf("appliance %+v", p.Appliance)
			}
			// The plan encodes as the wire types (what the client sends).
			for _, r := range []uforge.Root{p.Appliance, p.Install, p.Packages} {
				if r == nil || isNilRoot(r) {
					continue
				}
				var sb strings.Builder
				if err := uforge.EncodeJSON(&sb, r); err != nil {
					t.Errorf("encode %s: %v", r.RootName(), err)
				}
			}
		})
	}
}

func isNilRoot(r uforge.Root) bool {
	switch v := r.(type) {
	case *uforge.InstallProfile:
		return v == nil
	case *uforge.PkgList:
		return v == nil
	}
	return false
}

func TestPlanDetails(t *testing.T) {
	read := func(name string) *Template {
		data, err := os.ReadFile(filepath.Join(examples(t), "template", name))
		if err != nil {
			t.Fatal(err)
		}
		tpl, _, err := ParseTemplate(name, data)
		if err != nil {
			t.Fatal(err)
		}
		tpl.Stack.OS.Name, tpl.Stack.OS.Version = "debian", "12.5" // any case, a point release
		return tpl
	}
	p, err := read("installation-partitioning-3-template.json").Plan(kilnDistros())
	if err != nil {
		t.Fatal(err)
	}
	pt := p.Install.PartitionTable
	if uforge.BoolValue(p.Install.PartitionAuto) || pt == nil || len(pt.Disks) != 1 || len(pt.Disks[0].Partitions) != 5 {
		t.Fatalf("install %+v", p.Install)
	}
	var mounts []string
	for _, part := range pt.Disks[0].Partitions {
		mounts = append(mounts, uforge.StrValue(part.Fstype)+":"+uforge.StrValue(part.Mpoint))
	}
	if got := strings.Join(mounts, " "); got != "ext3:/boot linux-swap: ext3:/space ext3:/home ext3:/tmp" {
		t.Errorf("partitions %s", got)
	}
	if !uforge.BoolValue(pt.Disks[0].Partitions[4].Growable) || uforge.Int64Value(p.Install.DiskSize) != 12288 {
		t.Error("grow or disk size lost")
	}

	p, err = read("installation-usersgroups-template.json").Plan(kilnDistros())
	if err != nil {
		t.Fatal(err)
	}
	u := p.Install.Users[1]
	if uforge.StrValue(u.UserID) != "400" || !uforge.BoolValue(u.SystemUser) || uforge.StrValue(u.SecondaryGroups) != "admin,dev,france" {
		t.Errorf("user %+v", u)
	}
	if g := p.Install.Groups[1]; uforge.StrValue(g.GroupID) != "245" || !uforge.BoolValue(g.SystemGroup) {
		t.Errorf("group %+v", g)
	}

	p, err = read("installation-base-template.json").Plan(kilnDistros())
	if err != nil {
		t.Fatal(err)
	}
	if ip := p.Install; uforge.StrValue(ip.Timezone) != "Europe/London" || uforge.StrValue(ip.KernelParameters) != "rhgb quiet" ||
		uforge.Int64Value(ip.DiskSize) != 12288 || uforge.Int64Value(ip.SwapSize) != 512 {
		t.Errorf("install %+v", ip)
	}

	p, err = read("os-pkgs-sticky-template.json").Plan(kilnDistros())
	if err != nil {
		t.Fatal(err)
	}
	if v := uforge.StrValue(p.Packages.Pkgs[0].Version); v != "5.5.3-23.el6_4" {
		t.Errorf("version %q", v)
	}
}

func TestTemplateErrors(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"t.txt", `{}`, "JSON (.json) or YAML"},
		{"t.json", `{"stack": }`, "invalid JSON"},
		{"t.json", `[]`, "an object"},
		{"t.json", `{"stack":{"name":"a"}}`, "lacks stack.version, stack.os"},
		{"t.json", `{"stack":{"name":"a","version":"1","os":{"name":"Debian","version":"12","arch":"x86_64"}}}`, "stack.os.profile"},
		{"t.json", `{"stack":{"name":"a","version":"1","os":{"name":"Debian","version":"10","arch":"x86_64","profile":"Minimal"}}}`, `distribution "Debian 10 x86_64" is not offered by this server (it offers Debian 11 x86_64, Debian 12 x86_64, Debian 13 x86_64)`},
		{"t.json", `{"stack":{"name":"a","version":"1","os":{"name":"Debian","version":"12","arch":"x86_64","profile":"Desktop"}}}`, `"Desktop" is not an OS profile of Debian 12 (known: Minimal, Standard)`},
		{"t.json", `{"stack":{"name":"a","version":"1","os":{"name":"Debian","version":"12","arch":"x86_64","profile":"Minimal"},"installation":{"diskSize":"big"}}}`, `stack.installation.diskSize: "big" is not a valid value`},
		{"t.json", `{"stack":{"name":"a","version":"1","os":{"name":"Debian","version":"12","arch":"x86_64","profile":"Minimal"},"installation":{"keyboard":"klingon"}}}`, `keyboard: "klingon"`},
	} {
		tpl, _, err := ParseTemplate(tc.name, []byte(tc.body))
		if err == nil {
			_, err = tpl.Plan(kilnDistros())
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: err = %v, want %q", tc.name, tc.body, err, tc.want)
		}
	}
}

func TestYAMLAndUnknownKeys(t *testing.T) {
	y := `
stack:
  name: web
  version: 1.0
  colour: blue
  os:
    name: Debian
    version: 12
    arch: x86_64
    profile: minimal
    pkgs:
      - name: nginx
  installation:
    diskSize: "4096"
    users:
      - name: ops
        sudo: yes
        secondaryGroups: [adm, www-data]
builders:
  - type: QCOW2
    hardwareSettings: {memory: 1024}
    region: eu-west-1
`
	tpl, warns, err := ParseTemplate("web.yml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], `"stack.colour"`) {
		t.Errorf("warnings %q", warns)
	}
	p, err := tpl.Plan(kilnDistros())
	if err != nil {
		t.Fatal(err)
	}
	if uforge.StrValue(p.Appliance.Version) != "1.0" || uforge.Int64Value(p.Install.DiskSize) != 4096 ||
		uforge.IntValue(p.Install.Users[0].Sudo) != 1 || uforge.StrValue(p.Install.Users[0].SecondaryGroups) != "adm,www-data" {
		t.Errorf("plan %+v %+v", p.Appliance, p.Install)
	}
	bs, err := ParseBuilders("web.yaml", []byte(y))
	if err != nil || len(bs) != 1 || bs[0].HardwareSettings.Memory == nil || *bs[0].HardwareSettings.Memory != 1024 {
		t.Fatalf("builders %+v %v", bs, err)
	}
}

// Every example builder file parses; each builder resolves to a target format
// of Kiln and an image request, or is refused naming what is missing.
func TestExampleBuilders(t *testing.T) {
	refused := map[string]string{ // "file#index" → error fragment
		"cloudstack-builder.json#0": "hardwareSettings.memory (MB) is required",
	}
	formats := kilnFormats()
	for _, path := range exampleFiles(t, "builders") {
		name := filepath.Base(path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		bs, err := ParseBuilders(name, data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for i, b := range bs {
			key := name + "#" + string(rune('0'+i))
			tf, _, err := MatchFormat(string(b.Type), formats)
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			img, _, err := Request(i, b, tf, RequestOptions{AutoPartition: true})
			if want, ok := refused[key]; ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s: err = %v, want %q", key, err, want)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			if img.TargetFormat != tf || img.Compress == nil {
				t.Errorf("%s: request %+v", key, img)
			}
		}
	}
}

func TestRequestRules(t *testing.T) {
	formats := kilnFormats()
	req := func(js string, o RequestOptions) (*uforge.Image, []string, error) {
		t.Helper()
		bs, err := ParseBuilders("b.json", []byte(`{"builders":[`+js+`]}`))
		if err != nil {
			t.Fatal(err)
		}
		tf, _, err := MatchFormat(string(bs[0].Type), formats)
		if err != nil {
			return nil, nil, err
		}
		return Request(0, bs[0], tf, o)
	}
	img, _, err := req(`{"type":"QCOW2","hardwareSettings":{"memory":2048},"installation":{"diskSize":4096,"swapSize":256}}`, RequestOptions{AutoPartition: true})
	if err != nil || !uforge.BoolValue(img.Compress) || uforge.Int64Value(img.InstallProfile.MemorySize) != 2048 ||
		uforge.Int64Value(img.InstallProfile.DiskSize) != 4096 || uforge.Int64Value(img.InstallProfile.SwapSize) != 256 {
		t.Errorf("qcow2: %+v %v", img, err)
	}
	_, warns, err := req(`{"type":"QCOW2","hardwareSettings":{"memory":2048},"installation":{"diskSize":4096}}`, RequestOptions{})
	if err != nil || len(warns) != 1 || !strings.Contains(warns[0], "its own partitioning") {
		t.Errorf("advanced partitioning: %q %v", warns, err)
	}
	if _, _, err := req(`{"type":"QCOW2"}`, RequestOptions{}); err == nil || !strings.Contains(err.Error(), "no hardwareSettings part for builder [QCOW2]") {
		t.Errorf("memory: %v", err)
	}
	if _, _, err := req(`{"type":"Raw Virtual Disk","hardwareSettings":{"memory":512}}`, RequestOptions{Scan: true}); err == nil || !strings.Contains(err.Error(), "needs installation.diskSize") {
		t.Errorf("scan: %v", err)
	}
	img, _, err = req(`{"type":"Amazon AWS","installation":{"diskSize":8192}}`, RequestOptions{AutoPartition: true})
	if err != nil || uforge.BoolValue(img.Compress) || !uforge.BoolValue(img.EBS) || uforge.IntValue(img.EBSVolumeSize) != 8192 {
		t.Errorf("aws: %+v %v", img, err)
	}
	if _, _, err := req(`{"type":"Amazon AWS"}`, RequestOptions{}); err == nil || !strings.Contains(err.Error(), "EBS volume size") {
		t.Errorf("aws disk: %v", err)
	}
	img, _, err = req(`{"type":"Docker","entrypoint":["/usr/sbin/nginx","-g","daemon off;"]}`, RequestOptions{})
	if err != nil || uforge.StrValue(img.Entrypoint) != `["/usr/sbin/nginx","-g","daemon off;"]` {
		t.Errorf("docker: %+v %v", img, err)
	}
	if _, _, err := req(`{"type":"Docker"}`, RequestOptions{}); err == nil || !strings.Contains(err.Error(), "entrypoint is required") {
		t.Errorf("docker entrypoint: %v", err)
	}
	img, _, err = req(`{"type":"ovf","hardwareSettings":{"memory":1024,"hwType":"7"}}`, RequestOptions{})
	if err != nil || uforge.StrValue(img.InstallProfile.HWType) != "7" {
		t.Errorf("ovf: %+v %v", img, err)
	}
	if _, _, err := req(`{"type":"cloudburstvmware"}`, RequestOptions{}); err == nil || !strings.Contains(err.Error(), "Builder type unknown") {
		t.Errorf("unknown: %v", err)
	}
	b, _ := json.Marshal(img)
	if len(b) == 0 {
		t.Error("marshal")
	}
}

func TestCredentials(t *testing.T) {
	c, warns, err := ParseCredentials("c.json", []byte(`{"user":"root","password":"pw","url":"https://h/api","acceptAutoSigned":false,"extra":1}`))
	if err != nil || c.User != "root" || c.Password != "pw" || c.URL != "https://h/api" || c.InsecureTLS() || len(warns) != 1 {
		t.Errorf("%+v %q %v", c, warns, err)
	}
	c, _, err = ParseCredentials("c.yml", []byte("user: bob\npublickey: PUB\nsecretkey: SEC\nurl: http://h/api\n"))
	if err != nil || c.PublicKey != "PUB" || c.SecretKey != "SEC" || !c.InsecureTLS() {
		t.Errorf("%+v %v", c, err)
	}
	if _, _, err := ParseCredentials("c.json", []byte(`{"user":"a","password":"p","publickey":"k","secretkey":"s"}`)); err == nil {
		t.Error("password and keys accepted together")
	}
}

func TestExportRoundTrip(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(examples(t), "template", "installation-partitioning-1-template.json"))
	if err != nil {
		t.Fatal(err)
	}
	tpl, _, _ := ParseTemplate("x.json", data)
	tpl.Stack.OS.Name, tpl.Stack.OS.Version = "Debian", "12"
	p, err := tpl.Plan(kilnDistros())
	if err != nil {
		t.Fatal(err)
	}
	dists := kilnDistros()
	out := Export(p.Appliance, &dists[1], "Minimal", &uforge.PkgList{Pkgs: []uforge.Pkg{{Name: uforge.Str("nginx")}}}, p.Install)
	for _, f := range []Format{JSON, YAML} {
		b, err := Marshal(out, f)
		if err != nil {
			t.Fatal(err)
		}
		name := map[Format]string{JSON: "e.json", YAML: "e.yml"}[f]
		back, warns, err := ParseTemplate(name, b)
		if err != nil || len(warns) > 0 {
			t.Fatalf("%s: %v %q\n%s", name, err, warns, b)
		}
		p2, err := back.Plan(kilnDistros())
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, b)
		}
		if len(p2.Install.PartitionTable.Disks[0].Partitions) != 3 || uforge.StrValue(p2.Appliance.Name) != "CentOS Base" ||
			uforge.StrValue(p2.Packages.Pkgs[0].Name) != "nginx" || string(back.Stack.OS.Version) != "12" {
			t.Errorf("%s round trip:\n%s", name, b)
		}
	}
}
