package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kilnhq/kiln/internal/app"
)

type workerOptions struct {
	nodeFlags
}

func newWorkerCmd() *cobra.Command {
	var o workerOptions
	cmd := &cobra.Command{
		Use:   "worker --database postgres://…",
		Short: "Run image generation workers only (multi-node, on PostgreSQL)",
		Long: `Run image generation workers without the API, for a multi-node Kiln:
several "kiln worker" processes (and "kiln serve --workers 0" for the API)
share one PostgreSQL database. Artifacts are written under --data, which
the API nodes must share (an S3-compatible store comes later). A worker
serves no API and creates no user: "kiln serve" creates the administrator.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := loadSettings(cmd); err != nil {
				return err
			}
			return runWorker(cmd.Context(), o)
		},
	}
	o.register(cmd.Flags(), allNodeFlags...)
	return cmd
}

func runWorker(ctx context.Context, o workerOptions) error {
	log, err := newLogger(o.logLevel)
	if err != nil {
		return err
	}
	if o.database == "" {
		return fmt.Errorf("--database: a postgres:// URL is required (workers of an embedded SQLite Kiln run inside kiln serve)")
	}
	mirrors, err := loadMirrors(o.mirror, o.aptRoot, log)
	if err != nil {
		return err
	}
	node, err := app.OpenWorker(ctx, app.Config{DataDir: o.data, Database: o.database, Mirrors: mirrors,
		Workers: max(o.workers, 1), JobTimeout: o.jobTimeout, CacheMaxBytes: o.cacheMaxGB << 30, CacheDir: o.cacheDir,
		MinFreeBytes: o.minFreeGB << 30, Logger: log})
	if err != nil {
		return err
	}
	if err := node.Start(ctx); err != nil {
		return err
	}
	log.Info("kiln worker running", "workers", o.workers, "database", redactDSN(o.database))
	<-ctx.Done()
	stop, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return node.Close(stop)
}
