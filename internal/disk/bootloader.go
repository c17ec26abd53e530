package disk

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kilnhq/kiln/internal/run"
)

// GRUB module directories of the host (Debian packages grub-pc-bin and
// grub-efi-amd64-bin): the images embed the host's GRUB, not the guest's.
const (
	grubPCDir  = "/usr/lib/grub/i386-pc"
	grubEFIDir = "/usr/lib/grub/x86_64-efi"
)

// Modules embedded in the GRUB images. The root filesystem carries no GRUB
// module directory, so everything grub.cfg uses must be built in.
var (
	grubCommonModules = []string{
		"part_gpt", "part_msdos", "ext2", "fat", "normal", "linux", "search", "search_fs_uuid",
		"search_label", "configfile", "echo", "test", "serial", "terminal", "gzio", "boot",
		"ls", "cat", "halt", "reboot", "minicmd", "sleep",
	}
	grubPCModules  = append([]string{"biosdisk"}, grubCommonModules...)
	grubEFIModules = append([]string{"all_video", "efi_gop"}, grubCommonModules...)
)

// Offsets in GRUB 2's boot.img and diskboot.img (grub include/grub/offsets.h,
// util/setup.c), the bytes grub-bios-setup patches.
const (
	bootKernelSector = 0x5c  // boot.img: LBA (u64) of core.img's first sector
	bootDrive        = 0x64  // boot.img: 0xff = use the drive the BIOS booted from
	bootDriveCheck   = 0x66  // boot.img: a 2-byte jmp; NOPs make it trust only hard disks
	bootBPBStart     = 0x03  // boot.img: BPB area, kept from the existing sector 0
	bootBPBEnd       = 0x5a  //
	mbrCodeSize      = 0x1b8 // bytes of boot code before the disk signature and partition table
	kernelSeg        = 0x800 // segment where diskboot.img loads core.img
	blocklistSize    = 12    // struct grub_boot_blocklist {u64 start; u16 len; u16 segment}
)

// mkimage runs grub-mkimage for format ("i386-pc", "x86_64-efi") with the early config.
func mkimage(ctx context.Context, format, modDir, earlyCfg, out string, modules []string) error {
	args := []string{"-O", format, "-d", modDir, "-p", "/boot/grub", "-c", earlyCfg, "-o", out}
	args = append(args, modules...)
	if err := run.Run(ctx, run.Cmd{Name: "grub-mkimage", Args: args}); err != nil {
		return fmt.Errorf("grub-mkimage %s: %w", format, err)
	}
	return nil
}

// patchCore points the first blocklist of core.img (the end of its first sector,
// diskboot.img) at the sectors that follow it, given that core.img is written
// contiguously from LBA coreLBA: what grub-bios-setup does when it embeds core.img.
func patchCore(core []byte, coreLBA uint64) error {
	if len(core) < 2*sectorSize {
		return fmt.Errorf("core.img is too small (%d bytes)", len(core))
	}
	nsec := (len(core) + sectorSize - 1) / sectorSize
	if nsec-1 > 0xffff {
		return fmt.Errorf("core.img is too large (%d sectors)", nsec)
	}
	b := core[sectorSize-blocklistSize : sectorSize]
	binary.LittleEndian.PutUint64(b[0:], coreLBA+1)
	binary.LittleEndian.PutUint16(b[8:], uint16(nsec-1))
	binary.LittleEndian.PutUint16(b[10:], kernelSeg+sectorSize>>4)
	// The next blocklist slot must be a terminator (len 0).
	clear(core[sectorSize-2*blocklistSize : sectorSize-blocklistSize])
	return nil
}

// patchBoot returns the 440 bytes of MBR boot code: GRUB's boot.img with the
// LBA of core.img, the boot-drive byte, the drive check disabled (buggy BIOSes
// pass 0x00 for a hard disk) and the BPB area copied from the existing sector 0.
func patchBoot(bootImg, sector0 []byte, coreLBA uint64) ([]byte, error) {
	if len(bootImg) != sectorSize || len(sector0) != sectorSize {
		return nil, fmt.Errorf("boot.img and sector 0 must be %d bytes (got %d, %d)", sectorSize, len(bootImg), len(sector0))
	}
	b := make([]byte, mbrCodeSize)
	copy(b, bootImg)
	copy(b[bootBPBStart:bootBPBEnd], sector0[bootBPBStart:bootBPBEnd])
	binary.LittleEndian.PutUint64(b[bootKernelSector:], coreLBA)
	b[bootDrive] = 0xff
	b[bootDriveCheck], b[bootDriveCheck+1] = 0x90, 0x90
	return b, nil
}

// installBIOS writes core.img (built from earlyCfg) into the BIOS boot
// partition and boot.img into the MBR: a rootless grub-bios-setup.
func installBIOS(ctx context.Context, img *os.File, p Partition, earlyCfg, tmpDir string) error {
	corePath := filepath.Join(tmpDir, "core.img")
	if err := mkimage(ctx, "i386-pc", grubPCDir, earlyCfg, corePath, grubPCModules); err != nil {
		return err
	}
	core, err := os.ReadFile(corePath)
	if err != nil {
		return fmt.Errorf("read core.img: %w", err)
	}
	if int64(len(core)) > p.Size {
		return fmt.Errorf("core.img (%d bytes) does not fit the %d-byte BIOS boot partition", len(core), p.Size)
	}
	coreLBA := uint64(p.Offset / sectorSize)
	if err := patchCore(core, coreLBA); err != nil {
		return err
	}
	bootImg, err := os.ReadFile(filepath.Join(grubPCDir, "boot.img"))
	if err != nil {
		return fmt.Errorf("read GRUB boot.img: %w", err)
	}
	sector0 := make([]byte, sectorSize)
	if _, err := img.ReadAt(sector0, 0); err != nil && err != io.EOF {
		return fmt.Errorf("read MBR: %w", err)
	}
	code, err := patchBoot(bootImg, sector0, coreLBA)
	if err != nil {
		return err
	}
	if _, err := img.WriteAt(core, p.Offset); err != nil {
		return fmt.Errorf("write core.img: %w", err)
	}
	if _, err := img.WriteAt(code, 0); err != nil {
		return fmt.Errorf("write MBR boot code: %w", err)
	}
	return nil
}

// installEFI builds BOOTX64.EFI and writes the ESP with it at the removable-media
// path, so firmware boots it without an NVRAM entry.
func installEFI(ctx context.Context, imgPath string, p Partition, earlyCfg, tmpDir string) error {
	efi := filepath.Join(tmpDir, "BOOTX64.EFI")
	if err := mkimage(ctx, "x86_64-efi", grubEFIDir, earlyCfg, efi, grubEFIModules); err != nil {
		return err
	}
	return makeESP(ctx, imgPath, p, []string{"EFI", "EFI/BOOT"}, [][2]string{{"EFI/BOOT/BOOTX64.EFI", efi}})
}
