package pack

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGCE(t *testing.T) {
	raw := makeRaw(t)
	dst := filepath.Join(t.TempDir(), "out.tar.gz")
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	in := Input{Machine: testMachine(), Disk: raw, Progress: func(done, _ int64) { last = done }}
	if err := GCE(context.Background(), f, in); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if last != rawSize {
		t.Errorf("progress ended at %d of %d", last, rawSize)
	}
	needTool(t, "gzip")
	tarPath := filepath.Join(t.TempDir(), "out.tar")
	tf, err := os.Create(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	tf.WriteString(run(t, "gzip", "-dc", dst))
	tf.Close()
	checkMagic(t, tarPath, "ustar  \x00") // GNU (oldgnu) header, as GCE requires
	dir, names := untar(t, dst)
	if strings.Join(names, ",") != "disk.raw" {
		t.Fatalf("members %v, want disk.raw only", names)
	}
	if fileSum(t, filepath.Join(dir, "disk.raw")) != fileSum(t, raw) {
		t.Error("disk.raw differs from the source")
	}
	checkDisk(t, filepath.Join(dir, "disk.raw"), "raw", raw)
}

func TestGCECancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := GCE(ctx, &strings.Builder{}, Input{Machine: testMachine(), Disk: makeRaw(t)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled GCE returned %v", err)
	}
}
