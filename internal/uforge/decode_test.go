package uforge

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "requests", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeDocumentedRequests decodes the request bodies of the API documentation pages
// (copied verbatim into testdata/requests, named after the page) and the bodies hammr sends.
func TestDecodeDocumentedRequests(t *testing.T) {
	tf := func() *TargetFormat {
		return &TargetFormat{Object: Object{Created: Time(time.Date(2019, 5, 2, 8, 12, 44, 0, time.UTC)), DBID: Int64(12),
			LastModified: Time(time.Date(2019, 5, 2, 8, 12, 44, 0, time.UTC))}, Name: Str("QCOW2"),
			Format: &ImageFormat{Object: Object{DBID: Int64(5)}, Access: Bool(true), Active: Bool(true), Name: Str("qcow2"),
				Preselected: Bool(false), URI: Str("formats/5")},
			Category: &Category{Object: Object{DBID: Int64(2)}, Name: Str("Virtual"), Type: Str("IMAGEFORMAT")},
			Type:     Str("virtual"), TargetPlatformsURIList: []string{}, Access: Bool(true), Active: Bool(true), Preselected: Bool(false),
			URI: Str("orgs/1/targetformats/12")}
	}
	installProfile := &InstallProfile{FirewallAuto: Bool(true), FirewallEnabled: Bool(false), InternetSettingsAuto: Bool(true),
		Keyboard: Str("ar-azerty"), KeyboardAuto: Bool(false), PartitionAuto: Bool(true),
		RootUser: &OSUser{DisablePasswordLogin: Bool(false), Encrypted: Bool(false), FullName: Str("root"), Name: Str("root"),
			Password: Str("example"), PasswordAuto: Bool(true)},
		Timezone: Str("Europe/London"), TimezoneAuto: Bool(true)}
	generate := &Image{Compress: Bool(true), TargetFormat: &TargetFormat{Name: Str("VirtualBox")},
		InstallProfile: &InstallProfile{MemorySize: Int64(512)}}
	tests := []struct {
		file string
		into Root
		want Root
	}{
		{"appliance_create.xml", &Appliance{}, &Appliance{Name: Str("Appliance Example"), OrgURI: Str("orgs/1"), Version: Str("1.0")}},
		{"appliance_update.xml", &Appliance{}, &Appliance{Name: Str("Appliance Example Updated"), Version: Str("1.0Reloaded")}},
		{"appliance_clone.xml", &Appliance{}, &Appliance{Name: Str("Appliance Clone Example"), OrgURI: Str("orgs/1"),
			Projects: &Unsupported{}, Version: Str("1.0")}},
		{"applianceOSProfile_create.xml", &OSProfile{}, &OSProfile{LinuxProfile{DistribProfile: DistribProfile{Name: Str("Minimal"),
			StandardProfileURI: Str("distributions/1/profiles/4")}}}},
		{"applianceOSProfile_create.json", &OSProfile{}, &OSProfile{LinuxProfile{DistribProfile: DistribProfile{Name: Str("Minimal"),
			StandardProfileURI: Str("distributions/1/profiles/4")}}}},
		{"applianceOSProfilePkg_updateAll.xml", &PkgList{}, &PkgList{
			AddedPkgURIs: []string{"distributions/1/pkgs/104169", "distributions/1/pkgs/104537"}, DeletedPkgURIs: []string{}}},
		{"installProfile_update.xml", &InstallProfile{}, installProfile},
		{"installProfile_updateDeprecated.xml", &InstallProfile{}, installProfile},
		{"apiKey_create.xml", &APIKeyPair{}, &APIKeyPair{}},
		{"user_create.xml", &User{}, &User{UserProfile: UserProfile{LoginName: Str("example"), Active: Bool(true),
			Email: Str("example@example.com")}, CreationCode: Str("default"), Password: Str("example")}},
		{"userRoles_update.xml", &Roles{}, &Roles{Roles: []Role{{Name: Str("role1")}}}},
		{"machineImage_generate.xml", &Image{}, generate},
		{"scanImage_generate.xml", &Image{}, generate},
		{"hammr_scanImage_generate.xml", &Image{}, &Image{Compress: Bool(true), TargetFormat: tf(),
			InstallProfile: &InstallProfile{DiskSize: Int64(10240), HWType: Str("4"), MemorySize: Int64(1024),
				RootUser: &OSUser{DisablePasswordLogin: Bool(true)}, SwapSize: Int64(512)}}},
		{"hammr_aws_generate.json", &Image{}, &Image{Compress: Bool(false), EBS: Bool(true), EBSVolumeSize: Int(20),
			TargetFormat: &TargetFormat{Object: Object{DBID: Int64(3)}, Name: Str("Amazon AWS"), Format: &ImageFormat{Name: Str("aws")},
				Category: &Category{Name: Str("Cloud")}, Type: Str("cloud"), CredAccountType: Str("aws"), URI: Str("orgs/1/targetformats/3")},
			InstallProfile: &InstallProfile{DiskSize: Int64(12288), MemorySize: Int64(2048), SwapSize: Int64(1024)}}},
		{"appliance_create_unwrapped.json", &Appliance{}, &Appliance{Name: Str("Appliance Example"), OrgURI: Str("orgs/1"),
			Version: Str("1.0"), Projects: &Unsupported{}, ImageURIs: []string{}}},
		{"default_namespace.xml", &Appliance{}, &Appliance{Name: Str("x"), InstallProfile: &InstallProfile{DiskSize: Int64(2048)}}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			body := readTestdata(t, tc.file)
			var err error
			if strings.HasSuffix(tc.file, ".json") {
				err = DecodeJSON(bytes.NewReader(body), tc.into)
			} else {
				err = DecodeXML(bytes.NewReader(body), tc.into)
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			// No EquateEmpty here: a wrapper that was sent must decode to a non-nil slice.
			if d := cmp.Diff(tc.want, tc.into); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestDecodeAbsentVersusFalse(t *testing.T) {
	var p InstallProfile
	if err := DecodeXML(strings.NewReader(`<ns0:installProfile xmlns:ns0="`+Namespace+`"><firewallEnabled>false</firewallEnabled><users/></ns0:installProfile>`), &p); err != nil {
		t.Fatal(err)
	}
	if p.FirewallEnabled == nil || *p.FirewallEnabled || p.FirewallAuto != nil {
		t.Errorf("firewallEnabled=%v firewallAuto=%v, want sent-false and absent", p.FirewallEnabled, p.FirewallAuto)
	}
	if p.Users == nil || len(p.Users) != 0 || p.Groups != nil {
		t.Errorf("users=%#v groups=%#v, want sent-empty and absent", p.Users, p.Groups)
	}
}

func TestDecodeRootPrefixes(t *testing.T) {
	for _, doc := range []string{
		`<ns0:image xmlns:ns0="` + Namespace + `"><name>a</name></ns0:image>`,
		`<ns3:image xmlns:ns3="` + Namespace + `"><name>a</name></ns3:image>`,
		`<image xmlns="` + Namespace + `"><name>a</name></image>`,
		`<image><name>a</name></image>`,
		"<?xml version='1.0'?>\n<!-- c --><image><name>a</name></image>\n<!-- trailing comment -->\n",
	} {
		var img Image
		if err := DecodeXML(strings.NewReader(doc), &img); err != nil || StrValue(img.Name) != "a" {
			t.Errorf("DecodeXML(%s) = %v, name %q", doc, err, StrValue(img.Name))
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	const ns = `xmlns:ns0="` + Namespace + `"`
	xmlTests := []struct {
		doc, path, msg string
	}{
		{`<ns0:appliance ` + ns + `><installProfile><diskSize>big</diskSize></installProfile></ns0:appliance>`,
			"appliance/installProfile/diskSize", `"big" is not an integer`},
		{`<ns0:appliance ` + ns + `><colour>red</colour></ns0:appliance>`, "appliance/colour", "unknown element"},
		{`<ns0:appliance ` + ns + `><diskSize>1</diskSize></ns0:appliance>`, "appliance/diskSize", "unknown element"},
		{`<ns0:image ` + ns + `><compress>yes</compress></ns0:image>`, "image/compress", `"yes" is not a boolean`},
		{`<ns0:image ` + ns + `><created>yesterday</created></ns0:image>`, "image/created", `"yesterday" is not a dateTime`},
		{`<ns0:image ` + ns + `><revision>99999999999</revision></ns0:image>`, "image/revision", "out of range"},
		{`<ns0:image ` + ns + `><name>a</name><name>b</name></ns0:image>`, "image/name", "element repeated"},
		{`<ns0:image ` + ns + `><name>a<b/></name></ns0:image>`, "image/name/b", "unexpected element"},
		{`<ns0:image ` + ns + `>text<name>a</name></ns0:image>`, "image", "unexpected text"},
		{`<ns0:image ` + ns + `><name>a</name></ns0:image><x/>`, "", "trailing data"},
		{`<ns0:image ` + ns + `><name>a</name></ns0:image>garbage`, "", "trailing data"},
		{`<ns0:image ` + ns + `><name>a</name>`, "image", "unexpected EOF"},
		{`<ns0:appliance ` + ns + `></ns0:appliance>`, "", "want <image>"},
		{`<x:image xmlns:x="urn:other"></x:image>`, "", "want <image>"},
		{``, "", "empty document"},
		{`<ns0:image ` + ns + ` colour="red"></ns0:image>`, "image", "unexpected attribute colour"},
		{`<ns0:appliance ` + ns + `><imageUris><uri>a</uri><url>b</url></imageUris></ns0:appliance>`, "appliance/imageUris/url", "unknown element"},
		{`<ns0:appliance ` + ns + `><installProfile><keyboard>klingon</keyboard></installProfile></ns0:appliance>`,
			"appliance/installProfile/keyboard", "not an allowed value"},
		{`<ns0:appliance ` + ns + `><osProfile xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="ns0:WindowsProfile"/></ns0:appliance>`,
			"appliance/osProfile", "not supported"},
		{`<ns0:appliance ` + ns + `><projects><project><name>p</name></project></projects></ns0:appliance>`,
			"appliance/projects/project", "not supported"},
		{`<ns0:scannedInstance ` + ns + `><scans><scan><images><image><installProfile><diskSize>x</diskSize></installProfile></image></images></scan></scans></ns0:scannedInstance>`,
			"scannedInstance/scans/scan[1]/images/image[1]/installProfile/diskSize", `"x" is not an integer`},
		{`<ns0:image ` + ns + `><name xmlns="urn:x">a</name></ns0:image>`, "image/name", "unknown element"},
		{`<!DOCTYPE image [<!ENTITY a "b">]><image/>`, "", "DTD"},
		{`<ns0:image ` + ns + `><name>&ent;</name></ns0:image>`, "image/name", "malformed XML"},
	}
	for _, tc := range xmlTests {
		var img Root = &Image{}
		if strings.HasPrefix(tc.path, "appliance") {
			img = &Appliance{}
		}
		if strings.HasPrefix(tc.path, "scannedInstance") {
			img = &ScannedInstance{}
		}
		checkDecodeError(t, "XML "+tc.doc, DecodeXML(strings.NewReader(tc.doc), img), tc.path, tc.msg)
	}

	jsonTests := []struct {
		into      Root
		doc       string
		path, msg string
	}{
		{&Appliance{}, `{"appliance":{"installProfile":{"diskSize":"big"}}}`, "appliance/installProfile/diskSize", `"big" is not an integer`},
		{&Appliance{}, `{"installProfile":{"diskSize":1.5}}`, "appliance/installProfile/diskSize", "1.5 is not an integer"},
		{&Appliance{}, `{"appliance":{"colour":"red"}}`, "appliance/colour", "unknown key"},
		{&Image{}, `{"image":{"compress":"true"}}`, "image/compress", `"true" is not a boolean`},
		{&Image{}, `{"image":{"name":5}}`, "image/name", "5 is not a string"},
		{&Image{}, `{"image":{"created":"2019-13-01"}}`, "image/created", "is not a dateTime"},
		{&Image{}, `{"image":{"name":"a"}} {}`, "", "trailing data"},
		{&Image{}, `{"image":{"name":"a"}}x`, "", "trailing data"},
		{&Image{}, `{"image":{"name":"a"`, "", "truncated"},
		{&Image{}, `[1]`, "image", "want a JSON object"},
		{&Image{}, ``, "", "empty"},
		{&Image{}, `{"name":"a","name":"b"}`, "image/name", "key repeated"},
		{&Appliance{}, `{"imageUris":["a"]}`, "appliance/imageUris", `want {"uri":[…]}`},
		{&Appliance{}, `{"imageUris":{"url":["a"]}}`, "appliance/imageUris/url", "unknown key"},
		{&Appliance{}, `{"imageUris":{"uri":["a",7]}}`, "appliance/imageUris/uri[2]", "7 is not a string"},
		{&Appliance{}, `{"osProfile":{"xsi:type":"WindowsProfile"}}`, "appliance/osProfile", "not supported"},
		{&Appliance{}, `{"projects":{"project":[{"name":"p"}]}}`, "appliance/projects", "not supported"},
		{&Appliance{}, `{"name":{"x":1}}`, "appliance/name", "is not a string"},
		{&Appliance{}, `{"installProfile":"big"}`, "appliance/installProfile", "want an object"},
	}
	for _, tc := range jsonTests {
		checkDecodeError(t, "JSON "+tc.doc, DecodeJSON(strings.NewReader(tc.doc), tc.into), tc.path, tc.msg)
	}
}

func checkDecodeError(t *testing.T, what string, err error, path, msg string) {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Errorf("%s: err = %v (%T), want *DecodeError", what, err, err)
		return
	}
	if de.Path != path || !strings.Contains(de.Msg, msg) {
		t.Errorf("%s:\n got  %q\n want path %q, message containing %q", what, de.Error(), path, msg)
	}
}

func TestDecodeJSONTolerances(t *testing.T) {
	var a Appliance
	doc := `{"appliance":{"name":null,"imageUris":{"uri":"users/u/appliances/1/images/2"},"osProfile":{"@xsi:type":"ns0:LinuxProfile","name":"m"}}}`
	if err := DecodeJSON(strings.NewReader(doc), &a); err != nil {
		t.Fatal(err)
	}
	want := Appliance{ImageURIs: []string{"users/u/appliances/1/images/2"}, OSProfile: &LinuxProfile{DistribProfile: DistribProfile{Name: Str("m")}}}
	if d := cmp.Diff(want, a); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// A collection body unwrapped: its first key is the collection's own wrapper.
	var imgs Images
	if err := DecodeJSON(strings.NewReader(`{"images":{"image":[{"name":"a"}]}}`), &imgs); err != nil || len(imgs.Images) != 1 {
		t.Errorf("unwrapped collection: %v %#v", err, imgs)
	}
	if err := DecodeJSON(strings.NewReader(`{"images":{"total":1,"images":{"image":[{"name":"a"}]}}}`), &imgs); err != nil || len(imgs.Images) != 1 || Int64Value(imgs.Total) != 1 {
		t.Errorf("wrapped collection: %v %#v", err, imgs)
	}
}

func TestDecodeNonPointer(t *testing.T) {
	if err := DecodeXML(strings.NewReader(`<image/>`), Image{}); err == nil {
		t.Error("DecodeXML into a non-pointer succeeded")
	}
	if err := DecodeJSON(strings.NewReader(`{}`), Image{}); err == nil {
		t.Error("DecodeJSON into a non-pointer succeeded")
	}
}

func TestDecodeDepthLimit(t *testing.T) {
	deep := strings.Repeat("<subCategories><category>", 200) + strings.Repeat("</category></subCategories>", 200)
	var c Category
	err := DecodeXML(strings.NewReader(`<ns0:category xmlns:ns0="`+Namespace+`">`+deep+`</ns0:category>`), &c)
	var de *DecodeError
	if !errors.As(err, &de) || !strings.Contains(de.Msg, "too deeply") {
		t.Errorf("deep XML: %v", err)
	}
	deepJSON := `{"category":` + strings.Repeat(`{"subCategories":{"category":[`, 200) + strings.Repeat(`]}}`, 200) + `}`
	if err := DecodeJSON(strings.NewReader(deepJSON), &c); !errors.As(err, &de) || !strings.Contains(de.Msg, "too deeply") {
		t.Errorf("deep JSON: %v", err)
	}
}

func TestValidEnums(t *testing.T) {
	for _, tc := range []struct {
		f     func(string) bool
		ok    []string
		notOK []string
	}{
		{ValidKeyboard, []string{"us", "fr-latin1", "ar-azerty"}, []string{"", "klingon", "US"}},
		{ValidImageFormatName, []string{"qcow2", "vmware", "ISO", "hyper-v"}, []string{"vmdk", "QCOW2", ""}},
		{ValidDistributionArch, []string{"x86_64", "i686"}, []string{"amd64", "arm64"}},
		{ValidDistributionName, []string{"Debian", "CentOS"}, []string{"debian"}},
	} {
		for _, s := range tc.ok {
			if !tc.f(s) {
				t.Errorf("%q rejected", s)
			}
		}
		for _, s := range tc.notOK {
			if tc.f(s) {
				t.Errorf("%q accepted", s)
			}
		}
	}
}
