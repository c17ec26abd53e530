package app

import (
	"cmp"
	"context"
	"net/http"
	"os"
	"path/filepath"

	"github.com/kilnhq/kiln/internal/api"
	"github.com/kilnhq/kiln/internal/queue"
	"github.com/kilnhq/kiln/internal/service"
)

// Node is a serving Kiln (`kiln serve`): the API and its use cases, and
// workers when Config.RunWorkers. Start starts its queue.
type Node struct {
	*core
	Services *service.Services
	Handler  http.Handler
	// AdminPassword is set when the first start generated the admin password.
	AdminPassword string
}

// Open builds a serving node. On an empty database it creates the
// administrator (Config.AdminPassword, or a generated one in AdminPassword).
func Open(ctx context.Context, cfg Config) (*Node, error) {
	c, err := openCore(ctx, &cfg, cfg.RunWorkers)
	if err != nil {
		return nil, err
	}
	secrets, err := openSecretBox(&cfg)
	if err != nil {
		_ = c.Close(ctx)
		return nil, err
	}
	n := &Node{core: c}
	n.Services = service.New(c.Store, queueAdapter{c.Queue}, c.artifacts,
		service.ScanConfig{UploadDir: filepath.Join(cfg.DataDir, "uploads"), MaxOverlayBytes: cfg.MaxOverlayBytes},
		service.Config{Logger: c.log, Login: cfg.Login, Quotas: cfg.Quotas, DownloadKeyTTL: cfg.DownloadKeyTTL, Secrets: secrets})
	created, generated, err := n.Services.Users.Bootstrap(ctx, cfg.AdminPassword)
	if err == nil {
		err = n.sealSecrets(ctx)
	}
	if err != nil {
		_ = c.Close(ctx)
		return nil, err
	}
	if created {
		n.AdminPassword = generated
	}
	agent, _ := os.Executable() // the kiln binary is the scan agent
	n.Handler = api.New(n.Services, api.Config{PublicURL: cfg.PublicURL, Version: cfg.APIVersion,
		MaxBodyBytes: cfg.MaxBodyBytes, AgentPath: cmp.Or(cfg.Agent, agent), LegacyAPIKeySignatures: cfg.LegacyAPIKeySignatures,
		TrustForwardedFor: cfg.TrustForwardedFor,
		StallTimeout:      cfg.StallTimeout,
		Logger:            c.log})
	return n, nil
}

// queueAdapter gives the use cases the two queue operations they need.
type queueAdapter struct{ q *queue.Queue }

func (a queueAdapter) Enqueue(ctx context.Context, imageID int64) (int64, error) {
	return a.q.Enqueue(ctx, imageID)
}

func (a queueAdapter) Cancel(ctx context.Context, jobID int64) error {
	_, err := a.q.Cancel(ctx, jobID)
	return err
}
