package container

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestLXC(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			root, owned := fakeRoot(t)
			path := filepath.Join(t.TempDir(), "web.tar.gz")
			f, err := os.Create(path)
			mustOK(t, err)
			in := Input{Root: root, WorkDir: t.TempDir(), Name: "web", Version: "1.0", Arch: "amd64",
				Compress: compress, ModTime: testTime}
			if err := LXC(context.Background(), f, in); err != nil {
				t.Fatalf("LXC: %v", err)
			}
			mustOK(t, f.Close())
			dirEmpty(t, in.WorkDir)

			order, m, gzipped := readArchive(t, path)
			if gzipped != compress {
				t.Errorf("gzipped = %v, want %v", gzipped, compress)
			}
			if order[0] != "metadata.yaml" {
				t.Errorf("first member %s, want metadata.yaml", order[0])
			}

			var meta struct {
				Architecture string            `yaml:"architecture"`
				CreationDate int64             `yaml:"creation_date"`
				Properties   map[string]string `yaml:"properties"`
				Templates    map[string]struct {
					When     []string `yaml:"when"`
					Template string   `yaml:"template"`
				} `yaml:"templates"`
			}
			if err := yaml.Unmarshal(m["metadata.yaml"].data, &meta); err != nil {
				t.Fatalf("metadata.yaml: %v\n%s", err, m["metadata.yaml"].data)
			}
			if meta.Architecture != "x86_64" || meta.CreationDate != testTime.Unix() {
				t.Errorf("architecture %q creation_date %d, want x86_64 %d", meta.Architecture, meta.CreationDate, testTime.Unix())
			}
			for k, v := range map[string]string{"os": "debian", "release": "bookworm", "name": "web",
				"serial": "20260304_0506", "description": "web 1.0 (Debian GNU/Linux 12 (bookworm))"} {
				if meta.Properties[k] != v {
					t.Errorf("property %s = %q, want %q", k, meta.Properties[k], v)
				}
			}
			for _, target := range []string{"/etc/hostname", "/etc/hosts"} {
				tpl, ok := meta.Templates[target]
				if !ok {
					t.Errorf("no template for %s", target)
					continue
				}
				body, ok := m["templates/"+tpl.Template]
				if !ok {
					t.Errorf("templates/%s missing from the tarball", tpl.Template)
				} else if !strings.Contains(string(body.data), "{{ instance.name }}") {
					t.Errorf("templates/%s does not use the instance name: %q", tpl.Template, body.data)
				}
				if strings.Join(tpl.When, ",") != "create,copy" {
					t.Errorf("%s rendered on %v", target, tpl.When)
				}
			}

			hdrs := make(map[string]*tar.Header)
			var rootfs []string
			for _, name := range order {
				switch {
				case strings.HasPrefix(name, "rootfs/"):
					rootfs = append(rootfs, name)
					hdrs[name] = m[name].hdr
				case name == "metadata.yaml" || strings.HasPrefix(name, "templates/"):
				default:
					t.Errorf("unexpected member %s outside rootfs/ and templates/", name)
				}
			}
			if len(rootfs) == 0 || rootfs[0] != "rootfs/" || hdrs["rootfs/"].Typeflag != tar.TypeDir {
				t.Fatalf("rootfs members start with %v, want the rootfs/ directory", rootfs[:min(3, len(rootfs))])
			}
			checkTreeMembers(t, "rootfs/", rootfs, hdrs, owned)
			if owned && hdrs["rootfs/dev/null"] != nil {
				t.Error("rootfs/dev/null device node archived")
			}
		})
	}
}

func TestLXCOSReleaseFallbacks(t *testing.T) {
	root := t.TempDir()
	mustOK(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	// A plain /etc/os-release wins; without codename the version id is the release.
	mustOK(t, os.WriteFile(filepath.Join(root, "etc/os-release"), []byte("ID=debian\nVERSION_ID='13'\nPRETTY_NAME=\"Debian \\\"trixie\\\"\"\n"), 0o644))
	p, err := prepare(Input{Root: root, ModTime: testTime})
	mustOK(t, err)
	data, err := lxdMetadataYAML(p)
	mustOK(t, err)
	var meta struct {
		Properties map[string]string `yaml:"properties"`
	}
	mustOK(t, yaml.Unmarshal(data, &meta))
	if meta.Properties["release"] != "13" || meta.Properties["description"] != `Debian "trixie"` {
		t.Errorf("properties %v", meta.Properties)
	}

	// A symlink leaving the tree is not followed, and no os-release at all is fine.
	empty := t.TempDir()
	mustOK(t, os.MkdirAll(filepath.Join(empty, "etc"), 0o755))
	mustOK(t, os.Symlink("/etc/os-release", filepath.Join(empty, "etc/os-release")))
	p, err = prepare(Input{Root: empty, ModTime: testTime})
	mustOK(t, err)
	data, err = lxdMetadataYAML(p)
	mustOK(t, err)
	mustOK(t, yaml.Unmarshal(data, &meta))
	if meta.Properties["os"] != "debian" || meta.Properties["release"] != "" {
		t.Errorf("without os-release: %v (the host's os-release must not be read)", meta.Properties)
	}
}

func TestLXCErrors(t *testing.T) {
	root, _ := fakeRoot(t)
	var out strings.Builder
	if err := LXC(context.Background(), &out, Input{Root: root, Arch: "sparc"}); err == nil {
		t.Error("unknown architecture accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, compress := range []bool{false, true} {
		err := LXC(ctx, &out, Input{Root: root, Compress: compress})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("compress=%v: LXC with a cancelled context = %v", compress, err)
		}
	}
}
