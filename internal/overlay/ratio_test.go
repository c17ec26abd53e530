package overlay

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/internal/overlay/overlaytest"
)

// TestGzipBombRefused: a 1 MiB upload that expands to 1 GiB is refused by
// its compression ratio, after reading a bounded amount.
func TestGzipBombRefused(t *testing.T) {
	bomb := overlaytest.ZeroBomb(t, 1<<30)
	if len(bomb) > 2<<20 {
		t.Fatalf("the bomb is %d bytes, want about 1 MiB", len(bomb))
	}
	start := time.Now()
	sum, err := Check(context.Background(), bytes.NewReader(bomb), DefaultLimits(), nil)
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "expands more than 100 times") {
		t.Fatalf("Check of a 1 GiB bomb in %d bytes: %v", len(bomb), err)
	}
	if sum.Bytes > 128<<20 {
		t.Errorf("Check read %d bytes of content before refusing", sum.Bytes)
	}
	t.Logf("refused in %v: %v", time.Since(start).Round(time.Millisecond), err)
}

// TestGzipBombRefusedByApply: a stored overlay that expands too much is
// refused by the build as by the upload.
func TestGzipBombRefusedByApply(t *testing.T) {
	requireRoot(t)
	s := newSandbox(t)
	if _, err := Apply(context.Background(), bytes.NewReader(overlaytest.ZeroBomb(t, 1<<30)), s.root, ApplyOptions{}); !errors.Is(err, ErrRejected) {
		t.Fatalf("Apply of the bomb: %v", err)
	}
	s.contained(t)
}

// TestSmallCompressibleArchiveAccepted: below the floor, any ratio passes:
// a few MiB of zeros in a small overlay are not a bomb.
func TestSmallCompressibleArchiveAccepted(t *testing.T) {
	data := overlaytest.ZeroBomb(t, 32<<20)
	sum, err := Check(context.Background(), bytes.NewReader(data), DefaultLimits(), nil)
	if err != nil || sum.Bytes != 32<<20 || !sum.Gzip {
		t.Fatalf("Check of 32 MiB of zeros: %+v, %v", sum, err)
	}
}
