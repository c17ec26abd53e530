package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"time"

	"github.com/kilnhq/kiln/internal/client"
	"github.com/kilnhq/kiln/internal/scan"
	"github.com/kilnhq/kiln/internal/scan/upload"
)

// profileScan runs the agent's code (upload.Run, what `kiln scan -o` runs)
// once more in this process, after the measured runs, under a CPU profile
// (-cpuprofile), an execution trace (-trace) and/or an allocation profile
// (-memprofile), with the agent's debug log beside them, and prints how the wall
// time splits between the inventory and the overlay. In-process, so the agent
// binary needs no profiling switch; the figures are of the same code.
func profileScan(ctx context.Context, c config, root string, srv *server) error {
	if c.cpuprofile == "" && c.trace == "" && c.memprofile == "" {
		return nil
	}
	if c.memprofile != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			if f, err := os.Create(c.memprofile); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
				fmt.Printf("  allocations: %s (go tool pprof -sample_index=alloc_space -top %s)\n", c.memprofile, c.memprofile)
			}
		}()
	}
	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if c.trace != "" {
		f, err := os.Create(c.trace)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			return err
		}
		defer trace.Stop()
	}
	start := time.Now()
	if _, err := scan.Inventory(ctx, root, scan.InventoryOptions{AgentVersion: "kiln-bench-scan"}); err != nil {
		return err
	}
	inv := time.Since(start)
	// The agent's debug log (the uploader's per-chunk timings among it).
	var logw io.Writer = io.Discard
	if base := c.cpuprofile + c.trace + c.memprofile; base != "" {
		lf, err := os.Create(strings.TrimSuffix(base, filepath.Ext(base)) + ".log")
		if err != nil {
			return err
		}
		defer lf.Close()
		logw = lf
		fmt.Printf("  agent log: %s\n", lf.Name())
	}
	log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelDebug}))
	start = time.Now()
	res, err := upload.Run(ctx, upload.Options{
		Client: &client.Client{BaseURL: srv.url, User: "admin", Password: password, UserAgent: "kiln-bench-scan"},
		User:   "admin", Name: "bench-profile", Root: root, Overlay: true, TempDir: os.TempDir(),
		AgentVersion: "kiln-bench-scan", Logger: log,
	})
	if err != nil {
		return fmt.Errorf("profiled scan: %w", err)
	}
	whole := time.Since(start)
	fmt.Printf("profiled run (in-process upload.Run): %v in all; the inventory alone takes %v\n", round(whole), round(inv))
	if c.cpuprofile != "" {
		fmt.Printf("  CPU profile: %s (go tool pprof -top %s)\n", c.cpuprofile, c.cpuprofile)
	}
	if c.trace != "" {
		fmt.Printf("  trace: %s (go tool trace %s)\n", c.trace, c.trace)
	}
	return srv.deleteInstance(ctx, res.InstanceID)
}
