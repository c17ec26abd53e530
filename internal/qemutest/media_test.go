package qemutest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
)

func TestMediaOptions(t *testing.T) {
	disk := emptyDisk(t)
	iso := filepath.Join(t.TempDir(), "a,b.iso")
	if err := os.WriteFile(iso, []byte("iso"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, o := range map[string]Options{
		"nothing to boot":      {},
		"missing CD-ROM":       {CDROM: "/nonexistent.iso"},
		"net boot without NIC": {NetBootURL: "http://10.0.2.2/boot.ipxe", NoNetwork: true},
		"net boot, not a URL":  {NetBootURL: "boot.ipxe"},
		"bad interface":        {Image: disk, Format: "raw", Interface: "sata"},
		"image without format": {Image: disk, CDROM: iso},
	} {
		if err := o.check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	for name, c := range map[string]struct {
		o    Options
		want string
	}{
		"disk as before": {Options{Image: disk, Format: "qcow2"},
			"-nic user,model=virtio-net-pci -drive file=" + disk + ",format=qcow2,if=virtio"},
		"disk and CD-ROM: disk boots": {Options{Image: disk, Format: "raw", Interface: "ide", CDROM: iso, NoNetwork: true},
			"-nic none -drive file=" + disk + ",format=raw,if=ide -drive if=none,id=cd0,media=cdrom,readonly=on,format=raw,file=" +
				strings.ReplaceAll(iso, ",", ",,") + " -device ide-cd,drive=cd0,bus=ide.1"},
		"CD-ROM boots": {Options{CDROM: iso},
			"-nic user,model=virtio-net-pci -drive if=none,id=cd0,media=cdrom,readonly=on,format=raw,file=" +
				strings.ReplaceAll(iso, ",", ",,") + " -device ide-cd,drive=cd0,bus=ide.1,bootindex=0"},
		"net boot": {Options{NetBootURL: "http://10.0.2.2:8080/a,b/boot.ipxe"},
			"-netdev user,id=net0,bootfile=http://10.0.2.2:8080/a,,b/boot.ipxe -device virtio-net-pci,netdev=net0,bootindex=0"},
	} {
		if err := c.o.check(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if got := strings.Join(c.o.mediaArgs(), " "); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, c.want)
		}
	}
}

// rescueISO builds a GRUB rescue ISO whose menu prints a marker on the serial
// port and waits: enough to prove the firmware booted the CD.
func rescueISO(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("grub-mkrescue"); err != nil {
		t.Skip("grub-mkrescue not installed")
	}
	stage := t.TempDir()
	if err := os.MkdirAll(filepath.Join(stage, "boot", "grub"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := "serial --unit=0 --speed=115200\nterminal_output serial\necho kiln-cdrom-booted-$grub_platform\nsleep 600\n"
	if err := os.WriteFile(filepath.Join(stage, "boot", "grub", "grub.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	iso := filepath.Join(t.TempDir(), "rescue.iso")
	if out, err := exec.Command("grub-mkrescue", "-o", iso, "--fonts=", "--locales=", "--themes=", stage).CombinedOutput(); err != nil {
		t.Fatalf("grub-mkrescue: %v\n%s", err, out)
	}
	return iso
}

// TestCDROMBoot boots a CD-ROM alone, with SeaBIOS and with OVMF.
func TestCDROMBoot(t *testing.T) {
	needQEMU(t)
	testenv.RequireE2E(t, "boots two VMs under TCG, ~30 s")
	iso := rescueISO(t)
	for fw, platform := range map[Firmware]string{BIOS: "pc", UEFI: "efi"} {
		t.Run(fw.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			vm, err := Boot(ctx, Options{CDROM: iso, Firmware: fw, MemoryMB: 256, NoNetwork: true})
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Close()
			start := time.Now()
			if _, err := vm.WaitFor(ctx, regexp.MustCompile(`kiln-cdrom-booted-`+platform)); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: GRUB of the CD-ROM ran after %v", fw, time.Since(start).Round(time.Second))
		})
	}
}

// TestNetBoot boots from the NIC with SeaBIOS and with OVMF: iPXE fetches the
// URL from a server on the host's loopback (10.0.2.2 in the guest), runs the
// script, and the script's next request names the firmware platform.
func TestNetBoot(t *testing.T) {
	needQEMU(t)
	testenv.RequireE2E(t, "boots two VMs under TCG, ~40 s")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 8)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boot.ipxe" {
			// Relative: resolved against the script's own URL.
			fmt.Fprint(w, "#!ipxe\nchain platform/${platform}\n")
			return
		}
		got <- r.URL.Path
		http.NotFound(w, r)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	url := fmt.Sprintf("http://10.0.2.2:%d/boot.ipxe", ln.Addr().(*net.TCPAddr).Port)
	for fw, platform := range map[Firmware]string{BIOS: "pcbios", UEFI: "efi"} {
		t.Run(fw.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			start := time.Now()
			vm, err := Boot(ctx, Options{NetBootURL: url, Firmware: fw, MemoryMB: 256})
			if err != nil {
				t.Fatal(err)
			}
			defer vm.Close()
			select {
			case p := <-got:
				if p != "/platform/"+platform {
					t.Errorf("the script asked for %s, want /platform/%s", p, platform)
				}
				t.Logf("%s: iPXE ran the script after %v", fw, time.Since(start).Round(time.Second))
			case <-ctx.Done():
				t.Fatalf("iPXE never ran the script%s", vm.tail())
			}
		})
	}
}
