package container

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

func TestParseEntrypoint(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{in: "", want: nil},
		{in: "   ", want: nil},
		{in: `["/usr/sbin/httpd","-DFOREGROUND"]`, want: []string{"/usr/sbin/httpd", "-DFOREGROUND"}},
		{in: ` [ "/bin/echo", "a b", "\"q\"" ] `, want: []string{"/bin/echo", "a b", `"q"`}},
		{in: `[]`, want: nil},
		{in: "nginx -g 'daemon off;'", want: []string{"/bin/sh", "-c", "nginx -g 'daemon off;'"}},
		{in: "/usr/bin/run.sh", want: []string{"/bin/sh", "-c", "/usr/bin/run.sh"}},
		{in: `["/usr/sbin/httpd", "-DFOREGROUND"`, wantErr: true},
		{in: `["/bin/a", 1]`, wantErr: true},
		{in: `[/bin/a]`, wantErr: true},
		{in: `["", "x"]`, wantErr: true},
	} {
		got, err := ParseEntrypoint(tc.in)
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), "entrypoint") {
				t.Errorf("ParseEntrypoint(%q) = %q, %v; want an error naming the entrypoint", tc.in, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) || (tc.want == nil) != (got == nil) {
			t.Errorf("ParseEntrypoint(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// From the OCI distribution spec: a repository path component and a tag.
var (
	repoRE = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$`)
	tagRE  = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

func TestReferenceNames(t *testing.T) {
	for _, tc := range []struct{ name, version, want string }{
		{"web", "1.0", "web:1.0"},
		{"Web Server", "1.0+deb12u1", "web-server:1.0-deb12u1"},
		{"My_App.v2", "", "my_app.v2:latest"},
		{"--Ünïcode !! app--", "-beta", "n-code-app:beta"},
		{"a..b__c--d", "v1~rc1", "a-b-c-d:v1-rc1"},
		{"", "  ", "kiln-image:latest"},
		{"!!!", "...", "kiln-image:latest"},
		{strings.Repeat("x", 300), strings.Repeat("1", 300), strings.Repeat("x", 128) + ":" + strings.Repeat("1", 128)},
	} {
		ref := newImageRef(tc.name, tc.version)
		if got := ref.short(); got != tc.want {
			t.Errorf("name %q version %q → %q, want %q", tc.name, tc.version, got, tc.want)
		}
		// The grammar of the distribution spec, and ggcr's parser on both
		// spellings (strict needs the registry, so only the full one).
		if !repoRE.MatchString(ref.repo) || !tagRE.MatchString(ref.tag) {
			t.Errorf("%q breaks the reference grammar", ref.short())
		}
		if _, err := name.NewTag(ref.short()); err != nil {
			t.Errorf("%q is not a valid reference: %v", ref.short(), err)
		}
		if _, err := name.NewTag(ref.containerd(), name.StrictValidation); err != nil {
			t.Errorf("%q is not a valid reference: %v", ref.containerd(), err)
		}
	}
}
