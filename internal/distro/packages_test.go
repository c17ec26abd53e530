package distro

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParsePackagesFixture(t *testing.T) {
	f, err := os.Open("testdata/Packages")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []Entry
	if err := ParsePackages(f, func(e Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		// Multi-line Depends, Description (with a continuation line that looks like
		// a field) and Tag do not leak into other fields.
		{Package: "0ad", Version: "0.0.26-3", Architecture: "amd64", Section: "games", InstalledSize: 28591 * 1024, Filename: "pool/main/0/0ad/0ad_0.0.26-3_amd64.deb"},
		{Package: "nginx", Version: "1.22.1-9+b1", Architecture: "amd64", Section: "httpd", InstalledSize: 1210 * 1024, Filename: "pool/main/n/nginx/nginx_1.22.1-9+b1_amd64.deb"},
		{Package: "adduser", Version: "3.134", Architecture: "all", Section: "admin", InstalledSize: 849 * 1024, Filename: "pool/main/a/adduser/adduser_3.134_all.deb"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries:\n got %+v\nwant %+v", got, want)
	}
}

func TestParsePackagesEdges(t *testing.T) {
	in := "\n\nPackage: a\nVersion: 1\r\n\n\n\nPackage: noversion\n\nPackage: b\nVersion: 2" // no final newline
	var names []string
	if err := ParsePackages(strings.NewReader(in), func(e Entry) error { names = append(names, e.Package); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, []string{"a", "b"}) {
		t.Errorf("names = %v", names)
	}
	if err := ParsePackages(strings.NewReader("Package: a\nInstalled-Size: lots\n"), func(Entry) error { return nil }); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad size: err = %v", err)
	}
	if err := ParsePackages(strings.NewReader("Package: a\ngarbage\n"), func(Entry) error { return nil }); err == nil {
		t.Error("line without a colon accepted")
	}
	stop := errors.New("stop")
	if err := ParsePackages(strings.NewReader("Package: a\nVersion: 1\n"), func(Entry) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback error not returned: %v", err)
	}
}
