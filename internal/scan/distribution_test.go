package scan

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestUnsupportedSystems(t *testing.T) {
	cases := []struct {
		name      string
		osRelease string // "" = no os-release at all
		rpm       bool
		want      string
	}{
		{
			name:      "fedora",
			osRelease: "NAME=\"Fedora Linux\"\nVERSION_ID=40\nID=fedora\nPRETTY_NAME=\"Fedora Linux 40 (Server Edition)\"\n",
			rpm:       true,
			want:      "rpm-based systems (fedora 40) are not supported yet: Kiln scans dpkg systems",
		},
		{
			name:      "rocky via ID_LIKE",
			osRelease: "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n",
			want:      "rpm-based systems (rocky 9.3)",
		},
		{
			name: "no os-release",
			want: "no /etc/os-release or /usr/lib/os-release",
		},
		{
			name:      "debian 10",
			osRelease: "ID=debian\nVERSION_ID=\"10\"\nVERSION_CODENAME=buster\n",
			want:      "debian 10 (buster) is not supported: Kiln builds Debian 11, 12 and 13",
		},
		{
			name:      "debian unstable",
			osRelease: "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nID=debian\n",
			want:      "debian without a release number (unstable?) is not supported",
		},
		{
			name:      "ubuntu",
			osRelease: "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"24.04\"\nVERSION_CODENAME=noble\n",
			want:      "ubuntu 24.04 is Debian-based but not Debian",
		},
		{
			name:      "alpine",
			osRelease: "ID=alpine\nVERSION_ID=3.19.1\n",
			want:      "alpine 3.19.1 is not supported: Kiln scans Debian 11, 12 and 13",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newTestRoot(t)
			if c.osRelease != "" {
				r.write("/etc/os-release", c.osRelease)
			}
			if c.rpm {
				r.mkdir("/var/lib/rpm")
			} else {
				r.pkg("base-files", "1", "amd64")
				r.commit()
			}
			_, err := DetectDistribution(context.Background(), r.dir)
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("DetectDistribution: %v, want ErrUnsupported saying %q", err, c.want)
			}
			if _, err := Inventory(context.Background(), r.dir, InventoryOptions{}); !errors.Is(err, ErrUnsupported) {
				t.Errorf("Inventory: %v, want ErrUnsupported", err)
			}
		})
	}
}

func TestSupportedDebianReleases(t *testing.T) {
	cases := []struct{ osRelease, version string }{
		{"ID=debian\nVERSION_ID=\"11\"\nVERSION_CODENAME=bullseye\n", "11"},
		{osReleaseBookworm, "12"},
		{"ID=debian\nVERSION_ID=\"13\"\nVERSION_CODENAME=trixie\n", "13"},
		// trixie while it was testing: a codename and no VERSION_ID
		{"PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nID=debian\nVERSION_CODENAME=trixie\n", "13"},
	}
	for _, c := range cases {
		r := newTestRoot(t)
		r.write("/usr/lib/os-release", c.osRelease) // the os-release(5) fallback
		r.pkg("base-files", "13", "arm64")
		r.commit()
		d, err := DetectDistribution(context.Background(), r.dir)
		if err != nil || d.VersionID != c.version || d.Arch != "arm64" {
			t.Errorf("%q: %+v, %v; want release %s on arm64", c.osRelease, d, err, c.version)
		}
	}
}

func TestArchFromDpkgArchFile(t *testing.T) {
	r := newTestRoot(t)
	r.write("/etc/os-release", osReleaseBookworm)
	r.pkg("hello", "1", "all")
	r.commit()
	r.write("/var/lib/dpkg/arch", "i386\namd64\n")
	d, err := DetectDistribution(context.Background(), r.dir)
	if err != nil || d.Arch != "i386" {
		t.Fatalf("%+v, %v: want the first architecture of /var/lib/dpkg/arch", d, err)
	}
	if err := os.Remove(r.host("/var/lib/dpkg/arch")); err != nil {
		t.Fatal(err)
	}
	if _, err := DetectDistribution(context.Background(), r.dir); err == nil || !strings.Contains(err.Error(), "dpkg architecture") {
		t.Fatalf("err = %v, want a dpkg architecture error", err)
	}
}
