// Package qemutest boots disk images under QEMU (TCG) for tests: the serial
// console is captured, patterns are awaited on it, and a shell session on the
// console runs commands. Used by every end-to-end test that proves an image boots.
package qemutest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/kilnhq/kiln/internal/run"
)

// Firmware selects how the VM boots.
type Firmware int

const (
	BIOS Firmware = iota // SeaBIOS (QEMU's default)
	UEFI                 // OVMF, from the ovmf package
)

func (f Firmware) String() string {
	if f == UEFI {
		return "uefi"
	}
	return "bios"
}

// OVMF firmware files (Debian package ovmf, 4 MiB flash layout).
const (
	OVMFCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
	OVMFVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
)

// Options describe one VM.
type Options struct {
	Image    string        // disk image path; may be empty when CDROM or NetBootURL is set
	Format   string        // raw, qcow2, vmdk, vpc, vhdx, vdi (of Image)
	Firmware Firmware      //
	MemoryMB int           // 0 means 1024
	Timeout  time.Duration // lifetime of the VM; 0 means 10 minutes
	Snapshot bool          // discard guest writes (-snapshot): the image is left untouched
	// ConsoleLog, when set, receives a copy of the serial console (kept after Close,
	// for failed tests). The console is always kept in memory too.
	ConsoleLog string
	// NoNetwork removes the NIC (-nic none); by default the VM has a user-mode
	// virtio NIC. Without a NIC, OVMF does not spend a minute trying PXE.
	NoNetwork bool
	// Interface is the disk bus: "virtio" (default), "ide" or "scsi" (virtio-scsi).
	Interface string
	// CDROM is an ISO attached as an IDE CD-ROM (read-only). When Image is
	// empty the VM boots from it, with SeaBIOS and with OVMF.
	CDROM string
	// NetBootURL, when set and Image is empty, makes the VM boot from its NIC:
	// QEMU's user-mode DHCP server hands the URL out as the boot file name and
	// the NIC's iPXE ROM (Debian's ipxe-qemu) fetches it. The guest reaches the
	// host's loopback at 10.0.2.2, so a test serves files on 127.0.0.1 and
	// passes http://10.0.2.2:PORT/… here.
	NetBootURL string
}

// VM is a running QEMU. Close it.
type VM struct {
	tmp     string
	conn    net.Conn
	cancel  context.CancelFunc
	done    chan struct{} // closed when qemu has exited
	exitErr error         // valid after done

	mu      sync.Mutex
	console []byte
	cursor  int           // WaitFor matches after this offset
	changed chan struct{} // closed and replaced whenever console grows
	readErr error         // console reader ended
	logFile *os.File
	markers int
}

var formats = map[string]bool{"raw": true, "qcow2": true, "vmdk": true, "vpc": true, "vhdx": true, "vdi": true}

// Boot starts qemu-system-x86_64 (TCG: KVM hangs on the build machines) with
// the image as its only disk and the first serial port on a unix socket that
// the VM reads and writes. The guest starts only once the console is connected,
// so no output is lost.
func Boot(ctx context.Context, o Options) (*VM, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.MemoryMB == 0 {
		o.MemoryMB = 1024
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Minute
	}
	tmp, err := os.MkdirTemp("", "kiln-qemu-")
	if err != nil {
		return nil, fmt.Errorf("qemutest: temporary directory: %w", err)
	}
	vm := &VM{tmp: tmp, done: make(chan struct{}), changed: make(chan struct{})}
	fail := func(err error) (*VM, error) {
		_ = vm.Close()
		return nil, err
	}
	if o.ConsoleLog != "" {
		if vm.logFile, err = os.Create(o.ConsoleLog); err != nil {
			return fail(fmt.Errorf("qemutest: console log: %w", err))
		}
	}
	sock := filepath.Join(tmp, "serial.sock")
	args := []string{
		"-accel", "tcg", "-m", strconv.Itoa(o.MemoryMB), "-smp", "2",
		"-display", "none", "-monitor", "none", "-no-reboot",
		"-chardev", "socket,id=serial0,path=" + sock + ",server=on,wait=on",
		"-serial", "chardev:serial0",
	}
	args = append(args, o.mediaArgs()...)
	if o.Snapshot {
		args = append(args, "-snapshot")
	}
	if o.Firmware == UEFI {
		vars := filepath.Join(tmp, "OVMF_VARS.fd")
		if err := copyFile(OVMFVars, vars); err != nil {
			return fail(fmt.Errorf("qemutest: copy OVMF variables: %w", err))
		}
		args = append(args,
			"-drive", "if=pflash,format=raw,unit=0,readonly=on,file="+OVMFCode,
			"-drive", "if=pflash,format=raw,unit=1,file="+vars)
	}

	runCtx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	vm.cancel = cancel
	go func() {
		vm.exitErr = run.Run(runCtx, run.Cmd{Name: "qemu-system-x86_64", Args: args})
		close(vm.done)
	}()

	// Connect to the console socket as soon as qemu has created it.
	for {
		c, err := net.Dial("unix", sock)
		if err == nil {
			vm.conn = c
			break
		}
		select {
		case <-vm.done:
			return fail(fmt.Errorf("qemutest: qemu exited before the console connected: %w", vm.exitErr))
		case <-ctx.Done():
			return fail(fmt.Errorf("qemutest: waiting for the console: %w", ctx.Err()))
		case <-time.After(20 * time.Millisecond):
		}
	}
	go vm.readConsole()
	return vm, nil
}

func (vm *VM) readConsole() {
	buf := make([]byte, 4096)
	for {
		n, err := vm.conn.Read(buf)
		vm.mu.Lock()
		if n > 0 {
			vm.console = append(vm.console, buf[:n]...)
			if vm.logFile != nil {
				_, _ = vm.logFile.Write(buf[:n])
			}
		}
		if err != nil {
			vm.readErr = err
		}
		close(vm.changed)
		vm.changed = make(chan struct{})
		vm.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Console returns everything the serial console printed so far.
func (vm *VM) Console() string {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return string(vm.console)
}

// Write types b on the serial console.
func (vm *VM) Write(b []byte) (int, error) {
	if vm.conn == nil {
		return 0, errors.New("qemutest: no console")
	}
	return vm.conn.Write(b)
}

// Exited is closed when qemu has exited.
func (vm *VM) Exited() <-chan struct{} { return vm.done }

// Close kills qemu (its process group, through internal/run's cancellation),
// waits for it and removes the temporary files. It is safe to call twice.
func (vm *VM) Close() error {
	if vm.cancel != nil {
		vm.cancel()
		<-vm.done
	}
	if vm.conn != nil {
		_ = vm.conn.Close()
	}
	var errs []error
	vm.mu.Lock()
	if vm.logFile != nil {
		errs = append(errs, vm.logFile.Close())
		vm.logFile = nil
	}
	vm.mu.Unlock()
	if vm.tmp != "" {
		errs = append(errs, os.RemoveAll(vm.tmp))
		vm.tmp = ""
	}
	return errors.Join(errs...)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
