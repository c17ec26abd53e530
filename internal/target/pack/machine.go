package pack

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Firmware is what the virtual machine boots with. Kiln's disks are hybrid
// (GRUB for BIOS and UEFI), so BIOS is declared unless a format needs EFI: it is
// what every hypervisor supports by default.
type Firmware string

// Firmwares.
const (
	FirmwareBIOS Firmware = "bios"
	FirmwareEFI  Firmware = "efi"
)

// Controller is the bus the disk hangs on.
type Controller string

// Controllers. LSI Logic SCSI is the default: VirtualBox, VMware (any hardware
// version) and Debian's stock kernel (mptspi) all support it.
const (
	ControllerSCSI Controller = "scsi"
	ControllerSATA Controller = "sata" // AHCI; VMware needs hardware version 10 or later
)

// NIC is the model of the network adapter.
type NIC string

// NICs. E1000 is the default because VirtualBox has no VMXNET3.
const (
	NICE1000   NIC = "e1000"
	NICVmxNet3 NIC = "vmxnet3"
)

// Limits of the facts a packaging accepts.
const (
	DefaultMemoryMB = 1024
	DefaultHWType   = 11
	MinHWType       = 4
	MaxHWType       = 21
	// MaxCPUs: neither the spec nor hammr's hardwareSettings carries a CPU count,
	// so images are small appliances; two is what we declare at most.
	MaxCPUs     = 2
	maxMemoryMB = 4 << 20 // 4 TiB, far above any hypervisor's limit
)

// Machine is what a packaging needs to know about the image besides its disk.
type Machine struct {
	Name       string // display name; made file-name safe by the packagings
	Version    string // product version, optional
	MemoryMB   int64  // 0 means DefaultMemoryMB
	CPUs       int    // 0 means 1
	HWType     int    // VMware hardware version (vmx-NN); 0 means DefaultHWType
	DiskSize   int64  // virtual size of the disk in bytes
	Firmware   Firmware
	Controller Controller
	NIC        NIC
	ModTime    time.Time // of the tar members; zero means now
}

// normalized fills defaults and rejects impossible values, so that the
// packagings never write a descriptor a hypervisor would refuse.
func (m Machine) normalized() (Machine, error) {
	if m.Name = safeName(m.Name); m.Name == "" {
		m.Name = "kiln-image"
	}
	m.Version = strings.TrimSpace(m.Version)
	switch {
	case m.MemoryMB == 0:
		m.MemoryMB = DefaultMemoryMB
	case m.MemoryMB < 4 || m.MemoryMB > maxMemoryMB:
		return m, fmt.Errorf("pack: memory %d MB out of range 4–%d", m.MemoryMB, maxMemoryMB)
	}
	switch {
	case m.CPUs == 0:
		m.CPUs = 1
	case m.CPUs < 1 || m.CPUs > MaxCPUs:
		return m, fmt.Errorf("pack: %d CPUs out of range 1–%d", m.CPUs, MaxCPUs)
	}
	switch {
	case m.HWType == 0:
		m.HWType = DefaultHWType
	case m.HWType < MinHWType || m.HWType > MaxHWType:
		return m, fmt.Errorf("pack: VMware hardware version %d out of range %d–%d", m.HWType, MinHWType, MaxHWType)
	}
	if m.DiskSize <= 0 {
		return m, errors.New("pack: the disk's virtual size is unknown")
	}
	switch m.Firmware {
	case "":
		m.Firmware = FirmwareBIOS
	case FirmwareBIOS, FirmwareEFI:
	default:
		return m, fmt.Errorf("pack: unknown firmware %q", m.Firmware)
	}
	switch m.Controller {
	case "":
		m.Controller = ControllerSCSI
	case ControllerSCSI:
	case ControllerSATA:
		if m.HWType < 10 {
			return m, fmt.Errorf("pack: a SATA controller needs VMware hardware version 10 or later, not %d", m.HWType)
		}
	default:
		return m, fmt.Errorf("pack: unknown disk controller %q", m.Controller)
	}
	switch m.NIC {
	case "":
		m.NIC = NICE1000
	case NICE1000, NICVmxNet3:
	default:
		return m, fmt.Errorf("pack: unknown network adapter %q", m.NIC)
	}
	if m.ModTime.IsZero() {
		m.ModTime = time.Now()
	}
	// USTAR stores whole seconds; truncating keeps every header format equal.
	m.ModTime = m.ModTime.Truncate(time.Second)
	return m, nil
}

// ParseHWType reads hammr's hwType ("7", "11", or "vmx-11"); empty means the
// default.
func ParseHWType(s string) (int, error) {
	s = strings.TrimPrefix(strings.TrimSpace(strings.ToLower(s)), "vmx-")
	if s == "" {
		return DefaultHWType, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < MinHWType || n > MaxHWType {
		return 0, fmt.Errorf("hwType %q: want a VMware hardware version %d–%d", s, MinHWType, MaxHWType)
	}
	return n, nil
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// safeName makes s usable as a tar member name, a VMX value and an OVF id
// without any escaping, and short enough for a USTAR name field (100 bytes)
// once a suffix is added.
func safeName(s string) string {
	s = strings.Trim(unsafeChars.ReplaceAllString(s, "-"), "-.")
	if len(s) > 64 {
		s = strings.TrimRight(s[:64], "-.")
	}
	return s
}
