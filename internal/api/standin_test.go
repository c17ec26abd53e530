package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/kilnhq/kiln/internal/generate"
	"github.com/kilnhq/kiln/internal/plan"
	"github.com/kilnhq/kiln/internal/record"
	"github.com/kilnhq/kiln/internal/spec"
)

// standIn replaces the image engine in API tests: it reports progress, can be
// held (to test duplicates and cancel) or made to fail, and writes a small
// artifact. The real engine has its own end-to-end tests.
type standIn struct {
	mu    sync.Mutex
	hold  chan struct{} // while non-nil, Run waits on it (or on ctx)
	fail  string
	plans []*plan.Plan // every plan Run received
}

func (g *standIn) holdRuns() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.hold = make(chan struct{})
}

func (g *standIn) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.hold != nil {
		close(g.hold)
		g.hold = nil
	}
}

func (g *standIn) failWith(msg string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fail = msg
}

func (g *standIn) Run(ctx context.Context, p *plan.Plan, outDir string, progress generate.Progress) (*generate.Result, error) {
	s := &p.Spec
	g.mu.Lock()
	hold, fail := g.hold, g.fail
	g.plans = append(g.plans, p)
	g.mu.Unlock()
	progress(generate.Update{Stage: generate.StageRootfs, Percent: 10, Message: "bootstrapping debian (stand-in)"})
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail != "" {
		return nil, errors.New(fail)
	}
	progress(generate.Update{Stage: generate.StageConvert, Percent: 90, Message: "writing qcow2 (stand-in)"})
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	data := []byte("stand-in image of " + s.Name + "\n" + strings.Repeat("kiln", 50000))
	path := filepath.Join(outDir, s.Name+".qcow2")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	var fidelity *record.Fidelity
	if s.Overlay != nil { // a scan image: the engine compares it with its source
		fidelity = &record.Fidelity{}
	}
	return &generate.Result{Path: path, Format: "qcow2", Fidelity: fidelity, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
		Packages: []record.InstalledPackage{{Name: "openssh-server", Version: "1:9.2p1-2+deb12u5", Arch: "amd64"},
			{Name: "libc6", Version: "2.36-9+deb12u10", Arch: "amd64"}}}, nil
}

// DiskNeed: the stand-in writes a few hundred KiB, whatever the plan's disk.
func (g *standIn) DiskNeed(*plan.Plan) int64 { return 1 << 20 }

func (g *standIn) lastSpec() *spec.Spec {
	if p := g.lastPlan(); p != nil {
		return &p.Spec
	}
	return nil
}

func (g *standIn) lastPlan() *plan.Plan {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.plans) == 0 {
		return nil
	}
	return g.plans[len(g.plans)-1]
}

// specFor returns the last spec Run received for a target format.
func (g *standIn) specFor(format string) *spec.Spec {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := len(g.plans) - 1; i >= 0; i-- {
		if g.plans[i].Spec.Output.Format == format {
			return &g.plans[i].Spec
		}
	}
	return nil
}
