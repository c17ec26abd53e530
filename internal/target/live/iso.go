package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kilnhq/kiln/internal/run"
)

// On the ISO: the Debian Live layout, which live-boot searches every block
// device for (the CD-ROM, or the USB stick the ISO was written to).
const (
	isoKernel = "/live/vmlinuz"
	isoInitrd = "/live/initrd.img"
)

// ISO writes a hybrid live ISO at dst. It boots on BIOS and UEFI machines, from
// a CD (El Torito: GRUB's i386-pc image and an EFI system partition image,
// platform 0xef) and from a USB stick or a disk image it is copied to (GRUB's
// hybrid MBR boot code, and a GPT whose EFI partition is the same image).
//
// grub-mkrescue does all of that in one well-trodden call: it builds both GRUB
// core images from the host's grub-pc-bin and grub-efi-amd64-bin (each embeds a
// search for this ISO and reads /boot/grub/grub.cfg from it), then hands
// xorriso the layout. The tree's kernel and initrd are grafted in by path and
// the squashfs is written straight into the staging directory: nothing is
// copied twice. On error or cancellation dst is removed.
func ISO(ctx context.Context, dst string, in Input) (err error) {
	j, err := start(ctx, in)
	if err != nil {
		return err
	}
	defer func() {
		if rmErr := j.finish(); err == nil {
			err = rmErr
		}
	}()
	if dst, err = filepath.Abs(dst); err != nil {
		return fmt.Errorf("live: output: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(dst)
		}
	}()
	// grub-mkrescue hands its own temporary directory (under TMPDIR, the
	// scratch directory) to xorriso as a graft point without escaping it, and
	// mtools drops backslashes: such a path cannot work, so fail before the
	// squashfs rather than after.
	if strings.ContainsAny(j.scratch, `=\`) {
		return fmt.Errorf("live: work directory %s: grub-mkrescue cannot work under a path with \"=\" or \"\\\"", j.scratch)
	}
	stage := filepath.Join(j.scratch, "iso")
	tmp := filepath.Join(j.scratch, "tmp")
	for _, d := range []string{filepath.Join(stage, "live"), filepath.Join(stage, "boot", "grub"), tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("live: staging: %w", err)
		}
	}
	if err := j.squashfs(ctx, filepath.Join(stage, "live", squashfsName)); err != nil {
		return err
	}
	cfg := grubCfg(j.label, j.version, j.cmdline())
	if err := os.WriteFile(filepath.Join(stage, "boot", "grub", "grub.cfg"), []byte(cfg), 0o644); err != nil {
		return fmt.Errorf("live: grub.cfg: %w", err)
	}
	if err := mkrescue(ctx, dst, stage, tmp, j); err != nil {
		return err
	}
	j.report(0, true)
	return nil
}

// mkrescue runs grub-mkrescue. Its non-option arguments go to
// "xorriso -as mkisofs -graft-points", so "/ISO/PATH=HOST/PATH" adds a single
// file; after "--" come native xorriso commands.
func mkrescue(ctx context.Context, dst, stage, tmp string, j *job) error {
	args := []string{
		"--output=" + dst,
		// GRUB's modules (all of both platforms) are copied as they are:
		// --compress=xz saves 2.7 MiB of a 270 MiB ISO but runs one xz per
		// module, 11-14 s of grub-mkrescue instead of 0.5 s (measured here).
		"--compress=no",
		// No fonts, translations or themes (11 MiB): the menu is a text menu
		// on the console and the serial port, shown for a second.
		"--fonts=", "--locales=", "--themes=",
		graftEscape(stage),
		graftEscape(isoKernel) + "=" + graftEscape(j.kernel),
		graftEscape(isoInitrd) + "=" + graftEscape(j.initrd),
		"--", "-volid", j.label,
	}
	err := run.Run(ctx, run.Cmd{Name: "grub-mkrescue", Args: args,
		// grub-mkrescue stages its GRUB images under TMPDIR and leaves them
		// behind when it is killed: keep them in the scratch directory.
		Env: []string{"TMPDIR=" + tmp}})
	if err != nil {
		return fmt.Errorf("live: grub-mkrescue: %w", err)
	}
	if st, err := os.Stat(dst); err != nil {
		return fmt.Errorf("live: grub-mkrescue wrote no ISO: %w", err)
	} else if st.Size() == 0 {
		return errors.New("live: grub-mkrescue wrote an empty ISO")
	}
	return nil
}

// graftEscape escapes what xorriso's -graft-points reads specially in a path:
// "=" separates the ISO path from the host path, "\" escapes.
func graftEscape(p string) string {
	return strings.NewReplacer(`\`, `\\`, `=`, `\=`).Replace(p)
}

// grubCfg is the ISO's /boot/grub/grub.cfg, read by both GRUB images: one
// entry, one second, on the screen and on the first serial port (the BIOS
// GRUB and the UEFI GRUB both drive the 16550 at 0x3f8 directly).
func grubCfg(label, version string, params []string) string {
	var b strings.Builder
	b.WriteString("# /boot/grub/grub.cfg of a Kiln live ISO.\n")
	b.WriteString("set default=0\nset timeout=1\n")
	b.WriteString("serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1\n")
	b.WriteString("terminal_input serial console\nterminal_output serial console\n")
	fmt.Fprintf(&b, "menuentry %s --id kiln-live {\n", grubQuote(label+" live (Linux "+version+")"))
	b.WriteString("\tlinux " + isoKernel)
	for _, p := range params {
		b.WriteString(" " + grubQuote(p))
	}
	b.WriteString("\n\tinitrd " + isoInitrd + "\n}\n")
	return b.String()
}

// grubQuote quotes s for GRUB's shell-like parser, like internal/disk does:
// plain words as they are, anything else in single quotes.
func grubQuote(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.,=/:+@%", r)) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
