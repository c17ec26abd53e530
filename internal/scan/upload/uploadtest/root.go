package uploadtest

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Root is a synthetic Debian tree in a temporary directory: files owned by fake
// packages (recorded in the dpkg database Commit writes) and files added by
// hand. Adapted from internal/scan's test root.
type Root struct {
	T    testing.TB
	Dir  string
	pkgs []*Pkg
}

// Pkg is an installed package of a Root.
type Pkg struct {
	name, version, arch string
	list                []string
	md5sums             []string // "md5  rel/path"
	conffiles           []string // "/etc/x md5"
}

// NewRoot returns an empty tree.
func NewRoot(t testing.TB) *Root {
	return &Root{T: t, Dir: t.TempDir()}
}

// Host is the host path of p (absolute in the tree).
func (r *Root) Host(p string) string { return filepath.Join(r.Dir, p) }

// Pkg adds an installed package.
func (r *Root) Pkg(name, version, arch string) *Pkg {
	p := &Pkg{name: name, version: version, arch: arch}
	r.pkgs = append(r.pkgs, p)
	return p
}

// Write creates a file (and its parent directories) with mode 0644.
func (r *Root) Write(p, content string) {
	r.T.Helper()
	if err := os.MkdirAll(filepath.Dir(r.Host(p)), 0o755); err != nil {
		r.T.Fatal(err)
	}
	if err := os.WriteFile(r.Host(p), []byte(content), 0o644); err != nil {
		r.T.Fatal(err)
	}
}

// Mkdir creates a directory and its parents.
func (r *Root) Mkdir(p string) {
	r.T.Helper()
	if err := os.MkdirAll(r.Host(p), 0o755); err != nil {
		r.T.Fatal(err)
	}
}

// Symlink creates p pointing to target.
func (r *Root) Symlink(target, p string) {
	r.T.Helper()
	r.Mkdir(path.Dir(p))
	if err := os.Symlink(target, r.Host(p)); err != nil {
		r.T.Fatal(err)
	}
}

// Own lists paths (and their parent directories) in the package's file list.
func (p *Pkg) Own(paths ...string) {
	for _, f := range paths {
		for d := path.Dir(f); d != "/"; d = path.Dir(d) {
			if !slices.Contains(p.list, d) {
				p.list = append(p.list, d)
			}
		}
		if !slices.Contains(p.list, f) {
			p.list = append(p.list, f)
		}
	}
}

// File writes a package file recorded with its md5.
func (r *Root) File(p *Pkg, f, content string) {
	r.T.Helper()
	r.Write(f, content)
	p.Own(f)
	p.md5sums = append(p.md5sums, md5hex(content)+"  "+strings.TrimPrefix(f, "/"))
}

// Conffile writes a conffile recorded in the status file.
func (r *Root) Conffile(p *Pkg, f, content string) {
	r.T.Helper()
	r.Write(f, content)
	p.Own(f)
	p.conffiles = append(p.conffiles, f+" "+md5hex(content))
}

// Commit writes the dpkg database (status, info/*.list, info/*.md5sums)
// dated back: the tree's package files, written (and changed) before it, are
// then all newer than their packages' install, as on a system restored from a
// copy, and the scan reads and verifies every one. Install dates it now, as
// dpkg does after unpacking: the files written before it are then taken as
// installed unless changed since (see internal/scan's owner.untouchedSince).
func (r *Root) Commit() {
	r.T.Helper()
	r.Install()
	for _, p := range r.pkgs {
		l := r.Host("/var/lib/dpkg/info/" + p.name + ".list")
		if err := os.Chtimes(l, installedLongAgo, installedLongAgo); err != nil {
			r.T.Fatal(err)
		}
	}
}

// installedLongAgo is the install time Commit gives the packages.
var installedLongAgo = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// Install writes the dpkg database now (see Commit).
func (r *Root) Install() {
	r.T.Helper()
	var status strings.Builder
	for _, p := range r.pkgs {
		fmt.Fprintf(&status, "Package: %s\nStatus: install ok installed\nPriority: optional\nInstalled-Size: 100\n", p.name)
		fmt.Fprintf(&status, "Maintainer: Test <t@example.org>\nArchitecture: %s\nVersion: %s\n", p.arch, p.version)
		if len(p.conffiles) > 0 {
			status.WriteString("Conffiles:\n")
			for _, c := range p.conffiles {
				status.WriteString(" " + c + "\n")
			}
		}
		fmt.Fprintf(&status, "Description: the %s package\n\n", p.name)
		slices.Sort(p.list)
		r.Write("/var/lib/dpkg/info/"+p.name+".list", "/.\n"+strings.Join(p.list, "\n")+"\n")
		if len(p.md5sums) > 0 {
			r.Write("/var/lib/dpkg/info/"+p.name+".md5sums", strings.Join(p.md5sums, "\n")+"\n")
		}
	}
	r.Write("/var/lib/dpkg/status", status.String())
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

const osRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION_CODENAME=bookworm
ID=debian
`

// BuildDebian writes a small Debian 12 system, not yet committed (the caller
// may add to it, then calls Commit):
//
//	modified: /etc/motd (conffile), /usr/bin/cat (package file)
//	added:    /root/.bashrc, /opt/app/bin/run (0755), /srv/www/index.html,
//	          /home/ops/notes.txt (owned by ops:ops when run as root), and their
//	          directories; the account files themselves
//	unchanged: /etc/issue, /usr/bin/ls, /usr/lib/os-release
func BuildDebian(t testing.TB) *Root {
	r := NewRoot(t)
	r.Mkdir("/usr/bin")
	r.Symlink("usr/bin", "/bin")

	base := r.Pkg("base-files", "12.4+deb12u5", "amd64")
	base.Own("/bin", "/etc", "/home", "/opt", "/root", "/srv", "/tmp", "/usr/lib", "/var/lib", "/etc/default")
	r.File(base, "/usr/lib/os-release", osRelease)
	r.Symlink("../usr/lib/os-release", "/etc/os-release")
	base.Own("/etc/os-release")
	r.Conffile(base, "/etc/issue", "Debian 12\n")
	r.Conffile(base, "/etc/motd", "welcome\n")
	r.Write("/etc/motd", "welcome to web01\n") // modified
	r.Mkdir("/tmp")
	r.Write("/tmp/scratch", "x") // default exclude
	r.Write("/root/.bashrc", "#\n")

	core := r.Pkg("coreutils", "9.1-1", "amd64")
	r.File(core, "/usr/bin/ls", "ls binary")
	r.File(core, "/usr/bin/cat", "cat binary")
	r.Write("/usr/bin/cat", "trojan cat") // modified

	r.Write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"+
		"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"+
		"ops:x:1000:1000:Ops Team,,,:/home/ops:/bin/bash\n"+
		"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
	r.Write("/etc/shadow", "root:*:19700:0:99999:7:::\nops:*:19700:0:99999:7:::\n")
	r.Write("/etc/group", "root:x:0:\ndaemon:x:1:\nadm:x:4:ops\nops:x:1000:\nnogroup:x:65534:\n")
	r.Write("/etc/hostname", "web01\n")
	r.Write("/home/ops/notes.txt", "remember\n")
	if os.Geteuid() == 0 {
		for _, p := range []string{"/home/ops", "/home/ops/notes.txt"} {
			if err := os.Lchown(r.Host(p), 1000, 1000); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.Write("/opt/app/bin/run", "#!/bin/sh\necho run\n")
	if err := os.Chmod(r.Host("/opt/app/bin/run"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.Write("/srv/www/index.html", "<html></html>\n")
	return r
}
