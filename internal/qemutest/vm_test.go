package qemutest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/testenv"
)

func needQEMU(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed")
	}
}

func emptyDisk(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "empty.raw")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 16<<20); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBootRejectsBadOptions(t *testing.T) {
	if _, err := Boot(context.Background(), Options{Image: "/nonexistent", Format: "raw"}); err == nil {
		t.Error("missing image accepted")
	}
	if _, err := Boot(context.Background(), Options{Image: emptyDisk(t), Format: "iso"}); err == nil {
		t.Error("unknown format accepted")
	}
}

// TestUEFIShell drives OVMF's built-in shell (it boots when the disk has no
// bootloader): the console is captured, typed input reaches the guest, WaitFor
// consumes matches in order, and Close kills qemu and removes the temp files.
func TestUEFIShell(t *testing.T) {
	needQEMU(t)
	testenv.RequireE2E(t, "boots OVMF under TCG, 10–20 s")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	logPath := filepath.Join(t.TempDir(), "console.log")
	vm, err := Boot(ctx, Options{Image: emptyDisk(t), Format: "raw", Firmware: UEFI, MemoryMB: 256, Snapshot: true, NoNetwork: true, ConsoleLog: logPath})
	if err != nil {
		t.Fatal(err)
	}
	tmp := vm.tmp
	defer vm.Close()
	start := time.Now()
	if _, err := vm.WaitFor(ctx, regexp.MustCompile(`UEFI Interactive Shell`)); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.WaitFor(ctx, regexp.MustCompile(`Press .*ESC`)); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Write([]byte{0x1b}); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.WaitFor(ctx, regexp.MustCompile(`Shell> `)); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.Write([]byte("echo kiln-%d\r")); err != nil {
		t.Fatal(err)
	}
	m, err := vm.WaitFor(ctx, regexp.MustCompile(`kiln-[0-9%d]+\r?\n`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("shell answered %q after %v", strings.TrimSpace(m), time.Since(start))
	// A match is consumed: the same pattern does not match the same text again.
	short, cancelShort := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancelShort()
	if _, err := vm.WaitFor(short, regexp.MustCompile(`UEFI Interactive Shell`)); err == nil {
		t.Error("WaitFor matched text before the previous match")
	}
	if !strings.Contains(vm.Console(), "UEFI Interactive Shell") {
		t.Error("Console() lacks the output")
	}
	if err := vm.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-vm.Exited():
	default:
		t.Error("qemu still running after Close")
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temporary directory left: %v", err)
	}
	if b, err := os.ReadFile(logPath); err != nil || !strings.Contains(string(b), "Shell>") {
		t.Errorf("console log: %v", err)
	}
}

// TestCloseKillsQEMU: a VM that never prints anything (SeaBIOS, empty disk) is
// running until Close, and gone with its temporary files after it.
func TestCloseKillsQEMU(t *testing.T) {
	needQEMU(t)
	vm, err := Boot(context.Background(), Options{Image: emptyDisk(t), Format: "raw", MemoryMB: 128, NoNetwork: true, Snapshot: true})
	if err != nil {
		t.Fatal(err)
	}
	tmp := vm.tmp
	select {
	case <-vm.Exited():
		t.Fatalf("qemu exited at once: %v", vm.exitErr)
	case <-time.After(300 * time.Millisecond):
	}
	start := time.Now()
	if err := vm.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Close took %v", time.Since(start))
	select {
	case <-vm.Exited():
	default:
		t.Fatal("qemu still running after Close")
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temporary directory left: %v", err)
	}
	if err := vm.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := vm.WaitFor(ctx, regexp.MustCompile(`x`)); err == nil {
		t.Error("WaitFor on a closed VM succeeded")
	}
}
