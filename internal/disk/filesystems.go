package disk

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"

	"github.com/kilnhq/kiln/internal/run"
)

// ext4Disabled lists features mke2fs 1.47 may enable (depending on the host's
// mke2fs.conf) that the images' readers cannot handle:
//   - metadata_csum_seed (INCOMPAT_CSUM_SEED): upstream GRUB 2.06 refuses the
//     filesystem ("unknown filesystem") — only 2.12 ignores it;
//   - orphan_file: e2fsck 1.46 (Debian 11) refuses to check a filesystem with it,
//     and kernel 5.10 does not know it.
var ext4Disabled = "^metadata_csum_seed,^orphan_file"

// makeExt writes an ext2/3/4 filesystem filled from srcDir straight into the
// partition p of the image file img (no loop device: mke2fs' -E offset).
func makeExt(ctx context.Context, img string, p Partition, srcDir string) error {
	ext := []string{
		"offset=" + strconv.FormatInt(p.Offset, 10),
		"root_owner=0:0",
		// The partition is a hole of a fresh sparse file, i.e. already zero: no
		// need to write zeroed inode tables or journal, nor to discard.
		"lazy_itable_init=1", "lazy_journal_init=1", "nodiscard",
		"hash_seed=" + p.PartUUID.String(),
	}
	args := []string{
		"-q", "-F", "-t", p.FSType,
		"-O", ext4Disabled,
		"-U", p.UUID,
		"-L", p.Label,
		"-E", joinComma(ext),
	}
	if srcDir != "" {
		args = append(args, "-d", srcDir)
	}
	args = append(args, img, strconv.FormatInt(p.Size/1024, 10)+"k")
	if err := run.Run(ctx, run.Cmd{Name: "mke2fs", Args: args}); err != nil {
		return fmt.Errorf("make %s on partition %d (%s): %w", p.FSType, p.Number, describe(p), err)
	}
	return nil
}

// makeESP formats the ESP as FAT32 at its offset and copies files into it with
// mtools (no mount). files maps an ESP path ("EFI/BOOT/BOOTX64.EFI") to a host file.
func makeESP(ctx context.Context, img string, p Partition, dirs []string, files [][2]string) error {
	sector := strconv.FormatInt(p.Offset/sectorSize, 10)
	args := []string{
		// One 512-byte sector per cluster: a 64 MiB FAT32 then has ~129k clusters;
		// mkfs.fat's default (8 sectors) leaves fewer than FAT32's minimum of
		// 65525, which mtools and some firmware reject.
		"-F", "32", "-s", "1", "-S", "512", "-n", p.Label, "-i", espVolumeID(p.UUID),
		"--offset=" + sector, "-h", sector, // hidden sectors = partition start, as on a real disk
		img, strconv.FormatInt(p.Size/1024, 10),
	}
	if err := run.Run(ctx, run.Cmd{Name: "mkfs.vfat", Args: args}); err != nil {
		return fmt.Errorf("make FAT32 ESP: %w", err)
	}
	target := img + "@@" + strconv.FormatInt(p.Offset, 10)
	// MTOOLS_SKIP_CHECK: the FAT geometry need not match a floppy's; MTOOLS_NO_VFAT
	// stays unset so long names are written.
	env := []string{"MTOOLS_SKIP_CHECK=1"}
	for _, d := range dirs {
		if err := run.Run(ctx, run.Cmd{Name: "mmd", Args: []string{"-i", target, "::/" + d}, Env: env}); err != nil {
			return fmt.Errorf("create %s on the ESP: %w", d, err)
		}
	}
	for _, f := range files {
		if err := run.Run(ctx, run.Cmd{Name: "mcopy", Args: []string{"-o", "-i", target, f[1], "::/" + f[0]}, Env: env}); err != nil {
			return fmt.Errorf("copy %s to the ESP: %w", f[0], err)
		}
	}
	return nil
}

// writeSwap writes a Linux swap header (version 1, "SWAPSPACE2") at the start
// of p, as mkswap does; util-linux 2.38's mkswap cannot write at an offset.
// The header assumes 4 KiB pages (x86-64).
func writeSwap(w io.WriterAt, p Partition) error {
	const page = 4096
	u, err := ParseUUID(p.UUID)
	if err != nil {
		return fmt.Errorf("write swap header: %w", err)
	}
	h := make([]byte, page)
	binary.LittleEndian.PutUint32(h[1024:], 1)                     // version
	binary.LittleEndian.PutUint32(h[1028:], uint32(p.Size/page-1)) // last_page
	binary.LittleEndian.PutUint32(h[1032:], 0)                     // nr_badpages
	copy(h[1036:1052], u[:])                                       // uuid
	copy(h[1052:1068], p.Label)                                    // volume_name (16 bytes, truncated)
	copy(h[page-10:], "SWAPSPACE2")                                // signature
	if _, err := w.WriteAt(h, p.Offset); err != nil {
		return fmt.Errorf("write swap header of partition %d: %w", p.Number, err)
	}
	return nil
}

func joinComma(s []string) string {
	out := ""
	for i, v := range s {
		if i > 0 {
			out += ","
		}
		out += v
	}
	return out
}
