package scan

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kilnhq/kiln/internal/debian"
	"github.com/kilnhq/kiln/internal/record"
)

func TestParseShellVars(t *testing.T) {
	vars := parseShellVars([]byte(`# comment
ID=debian
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
export SINGLE='a "quoted" $word'
ESCAPED="say \"hi\" \$HOME"
BASE=quiet
GRUB_CMDLINE_LINUX_DEFAULT="$BASE splash ${BASE}2"
TRAILING=value # comment
not an assignment
1BAD=x
EMPTY=
`), nil)
	want := map[string]string{
		"ID":                         "debian",
		"PRETTY_NAME":                "Debian GNU/Linux 12 (bookworm)",
		"SINGLE":                     `a "quoted" $word`,
		"ESCAPED":                    `say "hi" $HOME`,
		"BASE":                       "quiet",
		"GRUB_CMDLINE_LINUX_DEFAULT": "quiet splash quiet2",
		"TRAILING":                   "value",
		"EMPTY":                      "",
	}
	if diff := cmp.Diff(want, vars); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Unterminated quotes and lone dollars must not panic.
	for _, s := range []string{`A="open`, `A='open`, `A=$`, `A=${`, `A=${}`, `A="\`, `A=\`} {
		parseShellVars([]byte(s), nil)
	}
}

// The paragraph format itself is internal/debian's (and tested there); the
// scan adds leniency, its line bound and cancellation.
func TestReadParagraphs(t *testing.T) {
	in := "Package: a\nStatus: install ok installed\nConffiles:\n /etc/a 0123\n /etc/b 4567 obsolete\nDescription: x\n long\n\n\n" +
		"package: b\r\ngarbage line\nVersion: 1\r\n\r\n" +
		"Package: c\nDepends: " + strings.Repeat("x", 200<<10) + "\n" // longer than the reader's buffer
	var got []map[string]string
	err := readParagraphs(context.Background(), strings.NewReader(in), []string{"Package", "Status", "Conffiles", "Version"}, func(p debian.Paragraph) error {
		m := map[string]string{}
		for _, k := range []string{"Package", "Status", "Conffiles", "Version"} {
			if f, ok := p.Field(k); ok {
				m[k] = f.Value
			}
		}
		got = append(got, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"Package": "a", "Status": "install ok installed", "Conffiles": "/etc/a 0123\n/etc/b 4567 obsolete"},
		{"Package": "b", "Version": "1"},
		{"Package": "c"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	huge := "Package: d\nDepends: " + strings.Repeat("x", maxLine+10) + "\n"
	if err := readParagraphs(context.Background(), strings.NewReader(huge), []string{"Package"}, func(debian.Paragraph) error { return nil }); err == nil {
		t.Error("a line over the limit was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := readParagraphs(ctx, strings.NewReader("Package: a\n"), []string{"Package"}, func(debian.Paragraph) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestParseConffiles(t *testing.T) {
	got := parseConffiles("/etc/a 11111111111111111111111111111111\n/etc/with space 22222222222222222222222222222222 obsolete\n/etc/c newconffile remove-on-upgrade\nbroken\n")
	want := []conffile{
		{Path: "/etc/a", MD5: "11111111111111111111111111111111"},
		{Path: "/etc/with space", MD5: "22222222222222222222222222222222", Obsolete: true},
		{Path: "/etc/c", MD5: "newconffile"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestKernelParameters(t *testing.T) {
	if diff := cmp.Diff([]string{"a", `b="x y"`, "c"}, splitCmdline(" a\tb=\"x y\"  c\n")); diff != "" {
		t.Errorf("splitCmdline (-want +got):\n%s", diff)
	}
	live := "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=abc ro quiet console=ttyS0 quiet -- --init-arg"
	if kept, _ := portableParameters(live); !cmp.Equal([]string{"quiet"}, kept) {
		t.Errorf("live parameters: %v", kept)
	}
	r := newTestRoot(t)
	r.write("/etc/default/grub", "GRUB_CMDLINE_LINUX=\"BOOT_IMAGE=/vmlinuz root=UUID=x rw initrd=/initrd audit=1\"\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n")
	r.write("/etc/default/grub.d/50-cloud.cfg", "GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT net.ifnames=0\"\n")
	r.write("/etc/default/grub.d/README", "GRUB_CMDLINE_LINUX_DEFAULT=ignored\n")
	tr, _ := newTree(r.dir)
	var n notes
	kept, _ := readKernelParameters(tr, &n)
	if diff := cmp.Diff([]string{"audit=1", "quiet", "net.ifnames=0"}, kept); diff != "" {
		t.Errorf("offline parameters (-want +got):\n%s", diff)
	}
}

func TestCIDR(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"10.0.0.5", "255.255.255.0"}: "10.0.0.5/24",
		{"10.0.0.5", "255.255.0.0"}:   "10.0.0.5/16",
		{"10.0.0.5", "24"}:            "10.0.0.5/24",
		{"10.0.0.5/8", "255.0.0.0"}:   "10.0.0.5/8",
		{"10.0.0.5", "255.0.255.0"}:   "10.0.0.5", // not a mask
		{"10.0.0.5", "junk"}:          "10.0.0.5",
		{"10.0.0.5", ""}:              "10.0.0.5",
	} {
		if got := cidr(in[0], in[1]); got != want {
			t.Errorf("cidr(%q, %q) = %q, want %q", in[0], in[1], got, want)
		}
	}
}

func TestNetworkSources(t *testing.T) {
	r := newTestRoot(t)
	r.write("/etc/network/interfaces", "source-directory interfaces.d\nsource /etc/network/interfaces\n"+
		"iface ens3 inet static\n  address 10.1.0.2/16\n  gateway 10.1.0.1\n"+
		"iface ens3 inet6 static\n  address 2001:db8::2/64\n  gateway 2001:db8::1\n"+
		"iface wlan0 inet manual\n  wpa-conf /etc/wpa.conf \\\n   extra\n")
	r.write("/etc/network/interfaces.d/ens4", "iface ens4 inet dhcp\n")
	r.write("/etc/network/interfaces.d/ens4.dpkg-old", "iface old0 inet dhcp\n") // not run-parts style
	r.write("/etc/systemd/network/10-wired.network", "[Match]\nName=en*\n\n[Network]\nDHCP=ipv4\nDNS=9.9.9.9 1.1.1.1\n; comment\n")
	r.write("/etc/systemd/network/20-static.network", "[Match]\nName=eth9\n[Network]\nAddress=192.0.2.9/24\nGateway=192.0.2.1\n[Address]\nAddress=2001:db8::9/64\n[Route]\nGateway=2001:db8::1\n")
	r.write("/etc/NetworkManager/system-connections/office.nmconnection", "[connection]\nid=office\ntype=ethernet\ninterface-name=enp1s0\n\n"+
		"[ipv4]\nmethod=manual\naddress1=172.16.0.10/24,172.16.0.1\ndns=172.16.0.53;8.8.8.8;\n\n[ipv6]\nmethod=auto\n")
	r.write("/etc/NetworkManager/system-connections/wifi", "[connection]\nid=Home WiFi\ntype=wifi\n[ipv4]\nmethod=auto\n")
	r.write("/etc/NetworkManager/system-connections/lo.nmconnection", "[connection]\nid=lo\ntype=loopback\n[ipv4]\nmethod=manual\naddress1=127.0.0.1/8\n")
	tr, _ := newTree(r.dir)
	var n notes
	got := readNetwork(tr, &n)
	want := []record.ScanInterface{
		{Name: "ens4", Source: "ifupdown", File: "/etc/network/interfaces.d/ens4", Method: "dhcp"},
		{Name: "ens3", Source: "ifupdown", File: "/etc/network/interfaces", Method: "static", Method6: "static",
			Addresses: []string{"10.1.0.2/16", "2001:db8::2/64"}, Gateway: "10.1.0.1", Gateway6: "2001:db8::1"},
		{Name: "wlan0", Source: "ifupdown", File: "/etc/network/interfaces", Method: "manual"},
		{Name: "en*", Source: "networkd", File: "/etc/systemd/network/10-wired.network", Method: "dhcp", DNS: []string{"9.9.9.9", "1.1.1.1"}},
		{Name: "eth9", Source: "networkd", File: "/etc/systemd/network/20-static.network", Method: "static", Method6: "static",
			Addresses: []string{"192.0.2.9/24", "2001:db8::9/64"}, Gateway: "192.0.2.1", Gateway6: "2001:db8::1"},
		{Name: "enp1s0", Source: "networkmanager", File: "/etc/NetworkManager/system-connections/office.nmconnection",
			Method: "static", Method6: "dhcp", Addresses: []string{"172.16.0.10/24"}, Gateway: "172.16.0.1", DNS: []string{"172.16.0.53", "8.8.8.8"}},
		{Name: "Home WiFi", Source: "networkmanager", File: "/etc/NetworkManager/system-connections/wifi", Method: "dhcp"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if len(n.list) != 0 {
		t.Errorf("notes: %q", n.list)
	}
}

func TestTimezoneFallbacks(t *testing.T) {
	r := newTestRoot(t)
	tr, _ := newTree(r.dir)
	var n notes
	r.write("/etc/timezone", "America/New_York\n")
	if got := readTimezone(tr, &n); got != "America/New_York" {
		t.Errorf("no localtime link: %q", got)
	}
	r.symlink("../usr/share/zoneinfo/posix/Asia/Tokyo", "/etc/localtime")
	if got := readTimezone(tr, &n); got != "Asia/Tokyo" {
		t.Errorf("localtime link wins: %q", got)
	}
}
