package distro

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestAptMirrorDeb822(t *testing.T) {
	// Skips the nodesource repo, a .disabled file, the security archive, a deb-src
	// stanza and a disabled one; reads the multi-line Suites field.
	got, err := AptMirror("testdata/root")
	if err != nil {
		t.Fatal(err)
	}
	if got != "http://mirror.example.org/debian" {
		t.Errorf("AptMirror = %q", got)
	}
}

func TestAptMirrorOneLine(t *testing.T) {
	// sources.list comes before sources.list.d; skips deb-src, security, the
	// Google repo; handles [options] with blanks and trailing comments.
	got, err := AptMirror("testdata/oneline")
	if err != nil {
		t.Fatal(err)
	}
	if got != "https://ftp.example.net/debian" {
		t.Errorf("AptMirror = %q", got)
	}
}

func TestAptMirrorNone(t *testing.T) {
	dir := t.TempDir()
	if _, err := AptMirror(dir); !errors.Is(err, ErrNoAptMirror) {
		t.Errorf("empty root: err = %v, want ErrNoAptMirror", err)
	}
	d := filepath.Join(dir, "etc/apt/sources.list.d")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "ubuntu.list"), []byte("deb http://archive.ubuntu.com/ubuntu jammy main\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := AptMirror(dir); !errors.Is(err, ErrNoAptMirror) {
		t.Errorf("ubuntu only: err = %v, want ErrNoAptMirror", err)
	}
	m, err := LoadMirrors(dir, nil, nil)
	if err != nil || m.URI(2) != DefaultMirror {
		t.Errorf("LoadMirrors fallback = %v, %v", m, err)
	}
}

func TestParseDeb822Details(t *testing.T) {
	got := parseDeb822([]byte("Types: deb\nURIs: http://a/debian http://b/debian\nSuites: bookworm\n"))
	want := []aptSource{{"http://a/debian", []string{"bookworm"}}, {"http://b/debian", []string{"bookworm"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseDeb822 = %v", got)
	}
}

func TestMirrorsAndSources(t *testing.T) {
	m, err := LoadMirrors("testdata/root", map[string]string{"bullseye": "http://archive.example.org/debian/"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Sources("12")
	if err != nil {
		t.Fatal(err)
	}
	want := []Source{
		{URI: "http://mirror.example.org/debian", Suite: "bookworm", Components: []string{"main"}},
		{URI: "http://mirror.example.org/debian", Suite: "bookworm-updates", Components: []string{"main"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Sources(12) = %+v", got)
	}
	// The configured mirror serves every release, the override only its own.
	if s, _ := m.Sources("trixie"); s[0].URI != "http://mirror.example.org/debian" || s[1].Suite != "trixie-updates" {
		t.Errorf("Sources(trixie) = %+v", s)
	}
	if s, _ := m.Sources("11"); s[0].URI != "http://archive.example.org/debian" {
		t.Errorf("override not applied: %+v", s)
	}
	if _, err := m.Sources("buster"); err == nil {
		t.Error("Sources(buster) gave no error")
	}
	for key, uri := range map[string]string{"10": "http://x/debian", "12": "ftp://x/debian", "13": "not a url"} {
		if _, err := NewMirrors(DefaultMirror, map[string]string{key: uri}); err == nil {
			t.Errorf("override %s=%s accepted", key, uri)
		}
	}
}
