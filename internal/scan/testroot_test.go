package scan

import (
	"crypto/md5"
	"crypto/sha256"
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

// testRoot builds a small Debian tree in a temporary directory: files owned by
// fake packages (recorded in a dpkg database written at the end by commit), and
// files added by hand.
type testRoot struct {
	t    *testing.T
	dir  string
	pkgs []*testPkg
}

type testPkg struct {
	name, version, arch, multiArch, status string
	installedSize                          int
	list                                   []string
	md5sums                                []string // "md5  rel/path"
	conffiles                              []string // " /etc/x md5 [obsolete]"
}

func newTestRoot(t *testing.T) *testRoot {
	t.Helper()
	return &testRoot{t: t, dir: t.TempDir()}
}

func (r *testRoot) host(p string) string { return filepath.Join(r.dir, p) }

func (r *testRoot) pkg(name, version, arch string) *testPkg {
	p := &testPkg{name: name, version: version, arch: arch, status: "install ok installed", installedSize: 100}
	r.pkgs = append(r.pkgs, p)
	return p
}

// write creates a file (and its parent directories) with mode 0644.
func (r *testRoot) write(p, content string) {
	r.t.Helper()
	if err := os.MkdirAll(filepath.Dir(r.host(p)), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(r.host(p), []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRoot) mkdir(p string) {
	r.t.Helper()
	if err := os.MkdirAll(r.host(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRoot) symlink(target, p string) {
	r.t.Helper()
	if err := os.MkdirAll(filepath.Dir(r.host(p)), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.Symlink(target, r.host(p)); err != nil {
		r.t.Fatal(err)
	}
}

// own lists p (and its parent directories) in the package's file list.
func (p *testPkg) own(paths ...string) {
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

// file writes a package file with its md5 in md5sums.
func (r *testRoot) file(p *testPkg, f, content string) {
	r.t.Helper()
	r.write(f, content)
	p.own(f)
	p.md5sums = append(p.md5sums, md5hex(content)+"  "+strings.TrimPrefix(f, "/"))
}

// conffile writes a conffile recorded in the status file.
func (r *testRoot) conffile(p *testPkg, f, content string, flags ...string) {
	r.t.Helper()
	r.write(f, content)
	p.own(f)
	p.conffiles = append(p.conffiles, strings.TrimSpace(" "+f+" "+md5hex(content)+" "+strings.Join(flags, " ")))
}

// commit writes the dpkg database (status, info/*.list, info/*.md5sums) dated
// back. The fixtures write package files, and change some, before the
// database, which dpkg never does: it writes a package's .list after its
// files, so a package file changed before that would have been replaced.
// Dating the lists back makes every package file newer than its install, as
// on a system restored from a copy: the walk reads and verifies every one,
// which is what these tests are about. install writes the database as dpkg
// does, for the tests of the ctime fast path (overlay_ctime_test.go).
func (r *testRoot) commit() {
	r.t.Helper()
	r.install()
	for _, l := range r.lists() {
		if err := os.Chtimes(l, installedLongAgo, installedLongAgo); err != nil {
			r.t.Fatal(err)
		}
	}
}

// installedLongAgo is the install time commit gives the packages.
var installedLongAgo = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)

// lists are the host paths of the packages' .list files.
func (r *testRoot) lists() []string {
	var out []string
	for _, p := range r.pkgs {
		out = append(out, r.host("/var/lib/dpkg/info/"+p.infoName()+".list"))
	}
	return out
}

func (p *testPkg) infoName() string {
	if p.multiArch == "same" {
		return p.name + ":" + p.arch
	}
	return p.name
}

// install writes the dpkg database now: every file written so far predates
// its package's install, as dpkg leaves them.
func (r *testRoot) install() {
	r.t.Helper()
	var status strings.Builder
	for _, p := range r.pkgs {
		fmt.Fprintf(&status, "Package: %s\nStatus: %s\nPriority: optional\nInstalled-Size: %d\n", p.name, p.status, p.installedSize)
		fmt.Fprintf(&status, "Maintainer: Test <t@example.org>\nArchitecture: %s\n", p.arch)
		if p.multiArch != "" {
			fmt.Fprintf(&status, "Multi-Arch: %s\n", p.multiArch)
		}
		fmt.Fprintf(&status, "Version: %s\n", p.version)
		if len(p.conffiles) > 0 {
			status.WriteString("Conffiles:\n")
			for _, c := range p.conffiles {
				status.WriteString(" " + c + "\n")
			}
		}
		fmt.Fprintf(&status, "Description: the %s package\n a long description\n .\n with a paragraph: Status: not a field\n\n", p.name)

		info := p.infoName()
		slices.Sort(p.list)
		r.write("/var/lib/dpkg/info/"+info+".list", "/.\n"+strings.Join(p.list, "\n")+"\n")
		if len(p.md5sums) > 0 {
			r.write("/var/lib/dpkg/info/"+info+".md5sums", strings.Join(p.md5sums, "\n")+"\n")
		}
	}
	r.write("/var/lib/dpkg/status", status.String())
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

const osReleaseBookworm = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`

// Keys used by the synthetic root.
const (
	opsKey        = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOpsOpsOps ops@laptop"
	opsKeyOptions = `command="/usr/bin/backup",no-pty ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ backup@nas`
	rootKey       = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIRootRoot admin@bastion"
	opsHash       = "$6$opssalt$0p5Hash"
	rootHash      = "$y$j9T$rootsalt$R00tHash"
)

// buildDebianRoot writes the synthetic system most tests scan. What differs from
// the packages is documented next to each file; TestOverlaySyntheticRoot lists the
// resulting overlay.
func buildDebianRoot(t *testing.T) *testRoot {
	r := newTestRoot(t)

	// merged /usr: the packages list /bin/… , the files live in /usr/bin.
	r.mkdir("/usr/bin")
	r.symlink("usr/bin", "/bin")

	base := r.pkg("base-files", "12.4+deb12u5", "amd64")
	base.own("/bin", "/boot", "/etc", "/home", "/opt", "/root", "/srv", "/tmp", "/usr/lib", "/var/lib", "/var/log", "/etc/default", "/etc/network", "/etc/systemd/system")
	r.write("/usr/lib/os-release", osReleaseBookworm)
	base.own("/usr/lib/os-release")
	base.md5sums = append(base.md5sums, md5hex(osReleaseBookworm)+"  usr/lib/os-release")
	r.symlink("../usr/lib/os-release", "/etc/os-release")
	base.own("/etc/os-release")                   // owned symlink: unchanged
	r.conffile(base, "/etc/issue", "Debian 12\n") // unchanged conffile
	r.conffile(base, "/etc/motd", "welcome\n")    // modified below
	r.write("/etc/motd", "welcome to web01\n")    // → modified
	r.mkdir("/boot")
	r.mkdir("/tmp")
	r.write("/tmp/scratch", "x")    // default exclude
	r.mkdir("/proc/1")              // default exclude (not owned, never entered)
	r.write("/root/.bashrc", "#\n") // added

	core := r.pkg("coreutils", "9.1-1", "amd64")
	r.write("/usr/bin/ls", "ls binary")
	core.own("/bin/ls") // listed under /bin: found in /usr/bin
	core.md5sums = append(core.md5sums, md5hex("ls binary")+"  bin/ls")
	r.file(core, "/usr/bin/cat", "cat binary")
	r.write("/usr/bin/cat", "trojan cat") // → modified

	// dash diverts /usr/bin/sh: its own file stays there, bash's goes to sh.distrib.
	dash := r.pkg("dash", "0.5.12-2", "amd64")
	r.file(dash, "/usr/bin/sh", "dash shell")
	bash := r.pkg("bash", "5.2.15-2", "amd64")
	bash.own("/usr/bin/sh")
	bash.md5sums = append(bash.md5sums, md5hex("bash shell")+"  usr/bin/sh")
	r.write("/usr/bin/sh.distrib", "bash shell")
	r.write("/var/lib/dpkg/diversions", "/usr/bin/sh\n/usr/bin/sh.distrib\ndash\n")

	ssh := r.pkg("openssh-server", "1:9.2p1-2+deb12u3", "amd64")
	r.conffile(ssh, "/etc/ssh/sshd_config", "PermitRootLogin no\n")
	r.write("/etc/ssh/sshd_config", "PermitRootLogin yes\n")    // → modified
	r.conffile(ssh, "/etc/ssh/moduli.old", "old\n", "obsolete") // → added, no longer shipped
	r.file(ssh, "/usr/lib/systemd/system/ssh.service", "[Unit]\n")
	r.symlink("/lib/systemd/system/ssh.service", "/etc/systemd/system/multi-user.target.wants/ssh.service")

	lib := r.pkg("libfoo1", "2.0-1", "amd64")
	lib.multiArch = "same"
	r.file(lib, "/usr/lib/x86_64-linux-gnu/libfoo.so.1", "ELF foo")
	lib.installedSize = 2048

	// removed, configuration left: its conffile is not provided by the rebuild
	gone := r.pkg("oldtool", "1.0", "all")
	gone.status = "deinstall ok config-files"
	r.conffile(gone, "/etc/oldtool.conf", "conf\n")

	r.write("/var/lib/apt/extended_states", "Package: libfoo1\nArchitecture: amd64\nAuto-Installed: 1\n\nPackage: bash\nArchitecture: amd64\nAuto-Installed: 0\n")

	// accounts
	r.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"+
		"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"+
		"ops:x:1000:1000:Ops Team,,,:/home/ops:/bin/bash\n"+
		"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
	r.write("/etc/shadow", "root:"+rootHash+":19700:0:99999:7:::\n"+
		"daemon:*:19700:0:99999:7:::\n"+
		"ops:"+opsHash+":19700:0:99999:7:::\n"+
		"nobody:*:19700:0:99999:7:::\n")
	r.write("/etc/group", "root:x:0:\ndaemon:x:1:\nadm:x:4:ops\nsudo:x:27:ops\nops:x:1000:\nnogroup:x:65534:\n")
	r.write("/root/.ssh/authorized_keys", rootKey+"\n")
	r.write("/home/ops/.ssh/authorized_keys", "# laptop\n"+opsKey+"\n\n"+opsKeyOptions+"\n")
	r.write("/home/ops/notes.txt", "remember\n")

	// settings
	r.write("/etc/hostname", "web01\n")
	r.write("/etc/timezone", "Europe/Paris\n")
	r.symlink("/usr/share/zoneinfo/Europe/Paris", "/etc/localtime")
	r.write("/etc/default/keyboard", "XKBMODEL=\"pc105\"\nXKBLAYOUT=\"fr\"\nXKBVARIANT=\"\"\n")
	r.write("/etc/default/locale", "LANG=fr_FR.UTF-8\n")
	r.write("/etc/default/grub", "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"console=ttyS0,115200 root=/dev/sda1 ro net.ifnames=0\"\n")
	r.write("/etc/fstab", "# <file system> <mount point> <type> <options> <dump> <pass>\n"+
		"UUID=1111-aaaa / ext4 errors=remount-ro 0 1\n"+
		"UUID=2222-BBBB /boot/efi vfat umask=0077 0 1\n"+
		"/swapfile none swap sw 0 0\n")
	r.write("/swapfile", strings.Repeat("\x00", 4096)) // never in the overlay
	r.write("/etc/network/interfaces", "source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n\n"+
		"auto eth0\niface eth0 inet static\n    address 192.168.10.5\n    netmask 255.255.255.0\n    gateway 192.168.10.1\n    dns-nameservers 1.1.1.1 9.9.9.9\n")
	r.write("/etc/network/interfaces.d/eth1", "allow-hotplug eth1\niface eth1 inet dhcp\n")

	// added software, and a path the caller excludes
	r.write("/opt/app/bin/run", "#!/bin/sh\necho run\n")
	if err := os.Chmod(r.host("/opt/app/bin/run"), 0o755); err != nil {
		t.Fatal(err)
	}
	r.write("/srv/cache/big.bin", "excluded by the caller")
	r.write("/srv/www/index.html", "<html></html>\n")

	r.commit()
	return r
}
