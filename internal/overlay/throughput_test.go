package overlay

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"
)

// bigArchive streams a generated overlay of about 200 MB: 180 files of
// 1 MiB and 10,000 files of 1 KiB in 100 directories, as a real overlay
// mixes large data with many small configuration files. It is never held
// in memory.
func bigArchive(t *testing.T) io.Reader {
	block := make([]byte, 1<<20)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(block)
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		write := func(h *tar.Header, body []byte) error {
			h.Mode, h.ModTime = 0o644, mtime
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			_, err := tw.Write(body)
			return err
		}
		var err error
		for i := 0; i < 180 && err == nil; i++ {
			block[0] = byte(i)
			err = write(&tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("srv/data/blob%03d", i), Size: int64(len(block))}, block)
		}
		for d := 0; d < 100 && err == nil; d++ {
			err = write(&tar.Header{Typeflag: tar.TypeDir, Name: fmt.Sprintf("etc/conf%02d/", d)}, nil)
			for f := 0; f < 100 && err == nil; f++ {
				err = write(&tar.Header{Typeflag: tar.TypeReg, Name: fmt.Sprintf("etc/conf%02d/file%03d.conf", d, f), Size: 1024}, block[f*1024:(f+1)*1024])
			}
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	t.Cleanup(func() { pr.Close() })
	return pr
}

func rate(sum Summary, d time.Duration) string {
	return fmt.Sprintf("%.0f MB in %v: %.0f MB/s, %.0f members/s", float64(sum.TarBytes)/1e6, d.Round(time.Millisecond),
		float64(sum.TarBytes)/1e6/d.Seconds(), float64(sum.Entries)/d.Seconds())
}

func TestThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("reads and writes 200 MB")
	}
	start := time.Now()
	sum, err := Check(context.Background(), bigArchive(t), Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Check: %s", rate(sum, time.Since(start)))
	if sum.Files != 180+10_000 || sum.Dirs != 100 {
		t.Errorf("summary %+v", sum)
	}

	requireRoot(t)
	s := newSandbox(t)
	start = time.Now()
	res, err := Apply(context.Background(), bigArchive(t), s.root, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Apply: %s", rate(res.Summary, time.Since(start)))
	if res.Summary != sum || res.Applied != sum.Entries {
		t.Errorf("Apply read %+v, applied %d; Check read %+v", res.Summary, res.Applied, sum)
	}
}
