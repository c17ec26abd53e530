package live

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"sync"

	"github.com/kilnhq/kiln/internal/run"
)

// emptied are the top-level directories whose contents stay out of the
// squashfs: the kernel's and systemd's virtual filesystems are mounted over
// them at boot (live-boot moves its /dev, /proc, /sys and /run into the new
// root), and /tmp starts empty. The directories themselves are kept, as mount
// points, with their modes (/tmp's sticky 1777).
var emptied = map[string]bool{"dev": true, "proc": true, "sys": true, "run": true, "tmp": true}

// compressionArgs: zstd level 9. Measured with mksquashfs 4.5.1 on the
// reference tree (669 MiB, 16,227 entries), -processors 2 on the shared
// 2-core build machine (times vary with its load; the order never did):
//
//	-comp                          time      size
//	lz4                            5 s       311 MiB
//	zstd -Xcompression-level 3     3-4 s     227 MiB
//	zstd -Xcompression-level 9     6-9 s     212 MiB   <- this
//	zstd -Xcompression-level 15    50-90 s   202 MiB   (mksquashfs's zstd default)
//	zstd -Xcompression-level 19    242 s     200 MiB
//	xz                             160-197 s 186 MiB
//
// Level 9 is the knee: 7 times faster than zstd's default for 5 % more, and
// xz's 12 % less costs 25 times the build time and decompresses several
// times slower at every page-in of the running system. Debian's kernels read
// zstd squashfs since 4.14 (CONFIG_SQUASHFS_ZSTD=y in bullseye, bookworm,
// trixie); squashfs itself is a module that live-boot's hook puts in the initramfs.
func compressionArgs() []string {
	return []string{"-comp", "zstd", "-Xcompression-level", "9"}
}

// squashfs packs the tree into dst with mksquashfs. Owners, modes, device
// nodes and extended attributes are kept as they are in the tree (mksquashfs
// records them by default; as root it reads them all).
func (j *job) squashfs(ctx context.Context, dst string) error {
	var excludes []string
	for name := range emptied {
		excludes = append(excludes, name+"/*")
	}
	sort.Strings(excludes)
	args := []string{j.root, dst,
		"-noappend",
		// All cores: compression is the whole cost of a live build.
		"-processors", strconv.Itoa(runtime.NumCPU()),
		// A tree must not reach into another filesystem (a /proc or /dev left
		// mounted by a killed bootstrap would be archived otherwise).
		"-one-file-system",
		// A file that cannot be read must fail the build, not vanish from it.
		"-exit-on-error",
		// mksquashfs sizes its queues at a quarter of the RAM by default
		// (6 GiB here; 670 MiB resident at level 9); 256 MiB keeps it at
		// 170 MiB resident and was not slower.
		"-mem", "256M",
	}
	args = append(args, compressionArgs()...)
	// -e must come last: every following argument is a pattern, relative to
	// the source directory.
	args = append(args, "-wildcards", "-e")
	args = append(args, excludes...)
	// The progress bar is kept (no -no-progress): mksquashfs 4.5 has no other
	// progress output (-percentage came in 4.6), and Input.Progress needs it.
	// It is a few short lines a second, parsed and discarded.
	bar := &progressBar{report: func(frac float64) { j.report(int64(frac*float64(j.treeSize)), false) }}
	if err := run.Run(ctx, run.Cmd{Name: "mksquashfs", Args: args, Stdout: bar}); err != nil {
		return fmt.Errorf("live: squashfs: %w", err)
	}
	return nil
}

// barRe matches mksquashfs's progress bar: "[====-   ] 1234/19130  6%".
var barRe = regexp.MustCompile(`\] +(\d+)/(\d+) +\d+%`)

// progressBar parses mksquashfs's progress bar, which it redraws with a
// carriage return; every other output is discarded. It keeps at most one
// unterminated line.
type progressBar struct {
	mu     sync.Mutex
	line   []byte
	report func(frac float64)
}

func (p *progressBar) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range b {
		if c != '\r' && c != '\n' {
			if len(p.line) < 512 {
				p.line = append(p.line, c)
			}
			continue
		}
		p.parse()
		p.line = p.line[:0]
	}
	return len(b), nil
}

func (p *progressBar) parse() {
	if !bytes.Contains(p.line, []byte("%")) {
		return
	}
	m := barRe.FindSubmatch(p.line)
	if m == nil {
		return
	}
	done, err1 := strconv.ParseInt(string(m[1]), 10, 64)
	total, err2 := strconv.ParseInt(string(m[2]), 10, 64)
	if err1 != nil || err2 != nil || total <= 0 || done < 0 || done > total {
		return
	}
	p.report(float64(done) / float64(total))
}
