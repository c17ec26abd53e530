package spec

import (
	"strings"
	"testing"
)

func TestReleaseSpellings(t *testing.T) {
	for in, want := range map[string]string{"11": "11", "bookworm": "12", "Trixie": "13", "BULLSEYE": "11"} {
		s := Spec{Distribution: Distribution{Release: in}, Output: Output{Format: "raw"}}
		s.Defaults()
		if err := s.Validate(); err != nil || s.Distribution.Release != want {
			t.Errorf("release %q: %q, %v; want %q", in, s.Distribution.Release, err, want)
		}
	}
	for _, in := range []string{"10", "buster", "forky", "sid", " 12", ""} {
		s := Spec{Distribution: Distribution{Release: in}, Output: Output{Format: "raw"}}
		s.Defaults()
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), "distribution.release: \""+in+"\" is not supported (supported: 11, 12, 13)") {
			t.Errorf("release %q: err = %v", in, err)
		}
	}
	for in, want := range map[string]string{"11": "bullseye", "12": "bookworm", "13": "trixie"} {
		if got, ok := Codename(in); !ok || got != want {
			t.Errorf("Codename(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"10", "14", "bookworm", ""} {
		if got, ok := Codename(in); ok {
			t.Errorf("Codename(%q) = %q", in, got)
		}
	}
}

// Homes and mount points under Debian's outward links or boot-time
// filesystems, or with a "." or ".." component, are refused with the field.
func TestTreePaths(t *testing.T) {
	valid := func() Spec {
		s := Spec{Distribution: Distribution{Release: "12"}, Output: Output{Format: "raw"}}
		s.Defaults()
		return s
	}
	for _, home := range []string{"/var/run/lock/kiln", "/var/lock", "/run/user/x", "/proc/1", "/sys", "/dev/shm/x", "/home/../var/run", "/home/./x"} {
		s := valid()
		s.Install.Users = []User{{Name: "ops", Home: home}}
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "install.users[0].home: \""+home+"\"") {
			t.Errorf("home %q: %v", home, err)
		}
	}
	for _, mp := range []string{"/var/run/nologin", "/run", "/var/lock/x", "/srv/../run"} {
		s := valid()
		s.Install.Disk.Partitions = []Partition{{MountPoint: mp, SizeMB: 64}}
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "install.disk.partitions[0].mountPoint: \""+mp+"\"") {
			t.Errorf("mount point %q: %v", mp, err)
		}
	}
	for _, p := range []string{"/home/ops", "/srv/runner", "/var/lib/run", "/runs", "/devel"} {
		s := valid()
		s.Install.Users = []User{{Name: "ops", Home: p}}
		s.Install.Disk.Partitions = []Partition{{MountPoint: p, SizeMB: 64}}
		if err := s.Validate(); err != nil {
			t.Errorf("%q: %v", p, err)
		}
	}
}

// Accounts recreated from a scan need their ids, and their homes are only
// passwd text (Kiln never makes them), so a home under /run is fine.
func TestIfMissingAccounts(t *testing.T) {
	base := func() Spec {
		s := Spec{Distribution: Distribution{Release: "12"}, Output: Output{Format: "raw"}}
		s.Defaults()
		s.Install.Groups = []Group{{Name: "Debian-exim", GID: 990, System: true, IfMissing: true}}
		s.Install.Users = []User{{Name: "Debian-exim", UID: 101, PrimaryGroup: "Debian-exim", Groups: []string{"adm"}, Home: "/run/sshd", Shell: "/usr/sbin/nologin", System: true, IfMissing: true}}
		return s
	}
	if s := base(); s.Validate() != nil {
		t.Fatal(s.Validate())
	}
	for _, c := range []struct {
		edit func(*Spec)
		want string
	}{
		{func(s *Spec) { s.Install.Users[0].UID = 0 }, "install.users[0].uid: an account recreated if missing needs its uid"},
		{func(s *Spec) { s.Install.Groups[0].GID = 0 }, "install.groups[0].gid: a group recreated if missing needs its gid"},
		{func(s *Spec) { s.Install.Users[0].Home = "run/sshd" }, `install.users[0].home: "run/sshd" is not an absolute path`},
		{func(s *Spec) { s.Install.Users[0].Home = "/x:y" }, `install.users[0].home: "/x:y" is not an absolute path`},
		{func(s *Spec) { s.Install.Users[0].IfMissing = false }, `install.users[0].home: "/run/sshd"`},
		{func(s *Spec) { s.Install.Users[0].Name = "Debian:x" }, `install.users[0].name: "Debian:x" is not a valid user name`},
		{func(s *Spec) { s.Install.Groups[0].Name = "Debian-exim"; s.Install.Groups[0].IfMissing = false }, `install.groups[0].name: "Debian-exim"`},
	} {
		s := base()
		c.edit(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want %q, got %v", c.want, err)
		}
	}
}
