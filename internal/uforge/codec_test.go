package uforge

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/kilnhq/kiln/internal/uforge/xsdtest"
)

func encodeXML(t *testing.T, v Root) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := EncodeXML(&b, v); err != nil {
		t.Fatalf("EncodeXML(%s): %v", v.RootName(), err)
	}
	return b.Bytes()
}

func encodeJSON(t *testing.T, v Root) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := EncodeJSON(&b, v); err != nil {
		t.Fatalf("EncodeJSON(%s): %v", v.RootName(), err)
	}
	return b.Bytes()
}

// newLike returns a pointer to a fresh zero value of v's type, as a Root.
func newLike(v Root) Root {
	return reflect.New(reflect.TypeOf(v)).Interface().(Root)
}

func TestFixturesRootNames(t *testing.T) {
	for name, v := range fixtures() {
		if v.RootName() != name {
			t.Errorf("fixture %q has RootName %q", name, v.RootName())
		}
	}
}

func TestEncodeXMLValidatesAgainstXSD(t *testing.T) {
	docs := map[string][]byte{}
	for name, v := range fixtures() {
		docs[name] = encodeXML(t, v)
	}
	for name, v := range emptyCollections() {
		docs["empty "+name] = encodeXML(t, v)
	}
	xsdtest.ValidateAll(t, docs)
}

func TestValidateRejectsInvalid(t *testing.T) {
	// The oracle itself must be able to fail, or the test above proves nothing.
	ft := &fakeTB{TB: t}
	xsdtest.ValidateAll(ft, map[string][]byte{
		"default namespace": []byte(`<image xmlns="` + Namespace + `"><name>x</name></image>`),
		"wrong order":       []byte(`<ns0:image xmlns:ns0="` + Namespace + `"><name>x</name><dbId>1</dbId></ns0:image>`),
	})
	if ft.errors != 2 {
		t.Fatalf("ValidateAll reported %d failures for invalid documents, want 2", ft.errors)
	}
}

type fakeTB struct {
	testing.TB
	errors int
}

func (f *fakeTB) Errorf(string, ...any) { f.errors++ }

func TestEncodeXMLShape(t *testing.T) {
	got := string(encodeXML(t, fxImage()))
	for _, want := range []string{
		`<ns0:image xmlns:ns0="http://www.usharesoft.com/uforge"><created>2019-06-01T10:00:00.000Z</created><dbId>9</dbId>`,
		`<lastModified>2019-06-01T10:04:31.250Z</lastModified>`,
		`<status><dbId>31</dbId><cancelled>false</cancelled><complete>false</complete><error>false</error>`,
		`<targetPlatformsUriList/>`,
		`</ns0:image>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("XML lacks %s\n%s", want, got)
		}
	}
	if strings.Contains(got, `xmlns="`) {
		t.Errorf("XML has a default namespace:\n%s", got)
	}
	empty := string(encodeXML(t, Images{Objects: Objects{Total: Int64(0)}}))
	if want := `<ns0:images xmlns:ns0="http://www.usharesoft.com/uforge"><total>0</total><images/></ns0:images>`; !strings.Contains(empty, want) {
		t.Errorf("empty images = %s, want %s", empty, want)
	}
	app := string(encodeXML(t, Appliance{Name: Str("a"), OSProfile: &LinuxProfile{}}))
	for _, want := range []string{
		`<bootScriptUris/><confMgmtPlatformUris/><imageUris/>`,
		`<osProfile xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="ns0:LinuxProfile"><packageUris/><serviceUris/></osProfile>`,
	} {
		if !strings.Contains(app, want) {
			t.Errorf("appliance XML lacks %s\n%s", want, app)
		}
	}
	root := string(encodeXML(t, OSProfile{}))
	if !strings.Contains(root, `<ns0:distribProfile xmlns:ns0="http://www.usharesoft.com/uforge" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="ns0:LinuxProfile">`) {
		t.Errorf("distribProfile root lacks xsi:type: %s", root)
	}
}

func TestEncodeXMLEscapes(t *testing.T) {
	got := string(encodeXML(t, SSHKey{Name: Str("a<b>&\"c\x00")}))
	if !strings.Contains(got, "<name>a&lt;b&gt;&amp;&#34;c\uFFFD</name>") {
		t.Errorf("bad escaping: %s", got)
	}
	var k SSHKey
	if err := DecodeXML(strings.NewReader(got), &k); err != nil || *k.Name != "a<b>&\"c\uFFFD" {
		t.Errorf("decode escaped: %v %q", err, StrValue(k.Name))
	}
}

func TestEncodeRejectsInvalidEnum(t *testing.T) {
	bad := TargetFormat{Name: Str("x"), Format: &ImageFormat{Name: Str("qcow3")}}
	var b bytes.Buffer
	err := EncodeXML(&b, bad)
	if err == nil || !strings.Contains(err.Error(), "targetFormat/format/name") || b.Len() != 0 {
		t.Fatalf("EncodeXML = %v, wrote %d bytes; want an error naming the field and nothing written", err, b.Len())
	}
	if err := EncodeJSON(&b, bad); err == nil || b.Len() != 0 {
		t.Fatalf("EncodeJSON = %v, wrote %d bytes", err, b.Len())
	}
}

func TestEncodeJSONShape(t *testing.T) {
	got := encodeJSON(t, fxImage())
	if !json.Valid(got) {
		t.Fatalf("invalid JSON: %s", got)
	}
	for _, want := range []string{
		`{"image":{"created":"2019-06-01T10:00:00.000Z","dbId":9,`,
		`"lastModified":"2019-06-01T10:04:31.250Z"`,
		`"status":{"dbId":31,"cancelled":false,"complete":false,"error":false,"message":"Generation queued","percentage":0,`,
		`"compress":true`,
		`"targetPlatformsUriList":{"uri":[]}`,
		`"installProfile":{"diskSize":10240,"groups":{"group":[]},"memorySize":1024,"nics":{"nic":[]},"swapSize":512,"users":{"user":[]}}`,
	} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("JSON lacks %s\n%s", want, got)
		}
	}
	if bytes.Contains(got, []byte("null")) {
		t.Errorf("JSON has null: %s", got)
	}
	for name, v := range emptyCollections() {
		got := string(encodeJSON(t, v))
		if name == "packages" {
			if want := `{"packages":{"addedPkgUris":{"uri":[]},"deletedPkgUris":{"uri":[]},"pkgs":{"pkg":[]}}}`; strings.TrimSpace(got) != want {
				t.Errorf("empty packages = %s, want %s", got, want)
			}
			continue
		}
		if !strings.Contains(got, `{"`+name+`":{`) || !strings.Contains(got, `":[]}}}`) {
			t.Errorf("empty %s = %s", name, got)
		}
	}
	if got, want := strings.TrimSpace(string(encodeJSON(t, Images{Objects: Objects{Total: Int64(0)}}))), `{"images":{"total":0,"images":{"image":[]}}}`; got != want {
		t.Errorf("empty images = %s, want %s", got, want)
	}
	user := string(encodeJSON(t, User{UserProfile: UserProfile{LoginName: Str("john")}, Admin: Bool(false)}))
	for _, want := range []string{`"orgUris":{"uri":[]}`, `"sshKeys":{"sshKey":[]}`, `"roles":{"role":[]}`, `"loginName":"john"`, `"admin":false`} {
		if !strings.Contains(user, want) {
			t.Errorf("user JSON lacks %s: %s", want, user)
		}
	}
	dp := string(encodeJSON(t, DistribProfiles{DistribProfiles: []LinuxProfile{{DistribProfile: DistribProfile{Name: Str("Minimal")}}}}))
	if !strings.Contains(dp, `{"distribProfiles":{"distribProfiles":{"distribProfile":[{"xsi:type":"LinuxProfile","name":"Minimal",`) {
		t.Errorf("distribProfiles JSON: %s", dp)
	}
}

func TestEncodeNonUTCTime(t *testing.T) {
	loc := time.FixedZone("CEST", 2*3600)
	got := string(encodeJSON(t, OpStatus{ETA: Time(time.Date(2019, 6, 1, 12, 0, 0, 123_456_789, loc))}))
	if !strings.Contains(got, `"eta":"2019-06-01T10:00:00.123Z"`) {
		t.Errorf("time not in UTC millis: %s", got)
	}
}

var equateEmpty = cmpopts.EquateEmpty()

func TestRoundTrip(t *testing.T) {
	all := fixtures()
	for name, v := range emptyCollections() {
		all["empty "+name] = v
	}
	for name, v := range all {
		t.Run(name, func(t *testing.T) {
			x1 := encodeXML(t, v)
			gx := newLike(v)
			if err := DecodeXML(bytes.NewReader(x1), gx); err != nil {
				t.Fatalf("DecodeXML: %v\n%s", err, x1)
			}
			if d := cmp.Diff(v, reflect.ValueOf(gx).Elem().Interface(), equateEmpty); d != "" {
				t.Errorf("XML struct round trip (-want +got):\n%s", d)
			}
			if x2 := encodeXML(t, gx); !bytes.Equal(x1, x2) {
				t.Errorf("XML→struct→XML differs:\n%s\n%s", x1, x2)
			}

			j1 := encodeJSON(t, v)
			gj := newLike(v)
			if err := DecodeJSON(bytes.NewReader(j1), gj); err != nil {
				t.Fatalf("DecodeJSON: %v\n%s", err, j1)
			}
			if d := cmp.Diff(v, reflect.ValueOf(gj).Elem().Interface(), equateEmpty); d != "" {
				t.Errorf("JSON struct round trip (-want +got):\n%s", d)
			}
			if j2 := encodeJSON(t, gj); !bytes.Equal(j1, j2) {
				t.Errorf("JSON→struct→JSON differs:\n%s\n%s", j1, j2)
			}
		})
	}
}
