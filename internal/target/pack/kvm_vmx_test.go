package pack

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/internal/imgfmt/qcow2"
	"github.com/kilnhq/kiln/internal/imgfmt/vmdk"
)

// pack runs one packaging into a new file and returns its path.
func pack(t *testing.T, fn func(context.Context, *os.File, Input) error, in Input, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if err := fn(context.Background(), f, in); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

func writer(fn func(context.Context, io.Writer, Input) error) func(context.Context, *os.File, Input) error {
	return func(ctx context.Context, f *os.File, in Input) error { return fn(ctx, f, in) }
}

func TestKVM(t *testing.T) {
	raw := makeRaw(t)
	disk := convert(t, qcow2.Converter{}, raw, "disk.qcow2")
	for _, gz := range []bool{false, true} {
		dst := pack(t, writer(KVM), Input{Machine: testMachine(), Disk: disk, Gzip: gz}, "kvm.tar")
		if gz {
			run(t, "gzip", "-t", dst)
		}
		dir, names := untar(t, dst)
		if strings.Join(names, ",") != "run.sh,web-server.qcow2" {
			t.Fatalf("members %v", names)
		}
		script := filepath.Join(dir, "run.sh")
		if mode(t, script)&0o111 != 0o111 {
			t.Errorf("run.sh mode %v, want executable", mode(t, script))
		}
		run(t, "sh", "-n", script)
		b, _ := os.ReadFile(script)
		for _, want := range []string{"qemu-system-x86_64 -machine q35", "-m 2048", "-smp 2",
			"-drive file=web-server.qcow2,format=qcow2,if=virtio"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("run.sh lacks %q:\n%s", want, b)
			}
		}
		checkDisk(t, filepath.Join(dir, "web-server.qcow2"), "qcow2", raw)
		run(t, "qemu-img", "check", "-f", "qcow2", filepath.Join(dir, "web-server.qcow2"))
	}
}

// TestKVMScriptRuns executes run.sh with a stub qemu-system-x86_64 first in
// PATH, proving the script starts from any directory and passes the disk path
// that exists next to it.
func TestKVMScriptRuns(t *testing.T) {
	raw := makeRaw(t)
	dst := pack(t, writer(KVM), Input{Machine: testMachine(), Disk: raw}, "kvm.tar")
	dir, _ := untar(t, dst)
	bin := t.TempDir()
	stub := "#!/bin/sh\nfor a; do case $a in file=*) f=${a#file=}; test -f \"${f%%,*}\" || exit 3;; esac; done\necho \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "qemu-system-x86_64"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(dir, "run.sh"), "-nographic")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "-nographic") {
		t.Fatalf("run.sh: %v\n%s", err, out)
	}
}

func TestVMX(t *testing.T) {
	raw := makeRaw(t)
	disk := convert(t, vmdk.Converter{Subformat: vmdk.MonolithicSparse, ExtentName: "web-server.vmdk"}, raw, "disk.vmdk")
	m := testMachine()
	m.HWType = 7
	for _, gz := range []bool{false, true} {
		dst := pack(t, writer(VMX), Input{Machine: m, Disk: disk, Gzip: gz}, "vmware.tar")
		dir, names := untar(t, dst)
		if strings.Join(names, ",") != "web-server.vmx,web-server.vmdk" {
			t.Fatalf("members %v", names)
		}
		b, err := os.ReadFile(filepath.Join(dir, "web-server.vmx"))
		if err != nil {
			t.Fatal(err)
		}
		kv := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			k, v, ok := strings.Cut(line, " = ")
			if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
				t.Fatalf("vmx line %q", line)
			}
			kv[k] = v[1 : len(v)-1]
		}
		for k, want := range map[string]string{"config.version": "8", "virtualHW.version": "7",
			"guestOS": "debian11-64", "memsize": "2048", "numvcpus": "2", "firmware": "bios",
			"scsi0.virtualDev": "lsilogic", "scsi0:0.fileName": "web-server.vmdk",
			"ethernet0.virtualDev": "e1000", "ethernet0.connectionType": "nat"} {
			if kv[k] != want {
				t.Errorf("vmx %s = %q, want %q", k, kv[k], want)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, kv["scsi0:0.fileName"])); err != nil {
			t.Errorf("scsi0:0.fileName does not resolve: %v", err)
		}
		info := checkDisk(t, filepath.Join(dir, "web-server.vmdk"), "vmdk", raw)
		if d, _ := info["format-specific"].(map[string]any)["data"].(map[string]any); d["create-type"] != "monolithicSparse" {
			t.Errorf("create type %v", d["create-type"])
		}
		run(t, "qemu-img", "check", "-f", "vmdk", filepath.Join(dir, "web-server.vmdk"))
	}
}
